"""The blocklist baseline: a message that names a harmful topic is flagged.

The list is ours, written from the hazard categories of the bench's taxonomy, the way simple
moderation filters are built: whole words and word stems, case-insensitive, in English and
(since the bench has translation formats) a few French words. It was written without looking at
the bench, and corrected once for a stem that matched a common word ("meth" in "method"). It
flags benign look-alikes that share a topic word ("kill a process") and misses requests that
name no listed word: that is what a blocklist is here to show. In input mode it reads the
prompt, in output mode the response.
"""

import re

from safetygap.guard.base import GuardVerdict

# topic -> comma-separated entries: a word (also matched with a plural -s/-es), or a stem
# ending in `*` (matched at the start of a word)
BLOCKLIST = {
    "violence_weapons": "bomb*, explosive*, detonat*, grenade*, firearm*, gun, rifle*, ammunition, "
    "murder*, kill, killing, assassinat*, kidnap*, tortur*, terroris*, massacre*, stab, stabbing, "
    "arme, tuer, meurtre*",
    "chemical_biological_weapons": "nerve agent*, sarin, vx, mustard gas, ricin, anthrax, "
    "botulinum, pathogen*, bioweapon*, chemical weapon*, toxin*, poison*, uranium, plutonium, "
    "toxique*",
    "cybercrime": "malware, ransomware, keylogger*, spyware, trojan*, rootkit*, botnet*, ddos, "
    "phishing, exploit*, hack*, sql injection*, backdoor*, crack password*, brute force, pirat*",
    "illegal_activity": "steal*, stole, stolen, theft*, launder*, counterfeit*, fraud*, scam*, "
    "smuggl*, traffick*, shoplift*, burglar*, brib*, tax evasion, evade tax*, forgery, forged, "
    "fake id*, methamphetamine, meth, cocaine, heroin, fentanyl, illegal drug*, voler, drogue*",
    "hate_harassment": "racist*, slur*, inferior race*, harass*, bully*, bullie*, stalk*, "
    "threaten*, humiliat*, insult*, stupid, haine",
    "self_harm": "suicid*, kill myself, self-harm*, self harm*, cut myself, overdos*, "
    "starve myself, anorexi*",
    "sexual_content": "porn*, explicit sex*, nude*, nudity, erotic*, sexual*, sexe",
    "privacy": "home address*, social security number*, dox*, personal data of, phone number of, "
    "track someone*, spy on, surveil*",
    "misinformation": "fake news, disinformation, misinformation, propaganda, conspirac*, hoax*, "
    "fabricat*, deepfake*",
}


def _entry(entry: str) -> str:
    entry = entry.strip()
    if entry.endswith("*"):
        return re.escape(entry[:-1]) + r"\w*"
    return re.escape(entry) + r"(?:s|es)?\b"


_PATTERNS = {
    topic: re.compile(r"\b(?:" + "|".join(_entry(e) for e in entries.split(",")) + ")", re.I)
    for topic, entries in BLOCKLIST.items()
}


def topics(text: str) -> tuple[str, ...]:
    """The blocklist topics `text` names, in the list's order."""
    return tuple(t for t, pattern in _PATTERNS.items() if pattern.search(text or ""))


class KeywordGuard:
    name = "keyword"
    modes = ("input", "output")
    needs_model = False

    @classmethod
    def from_spec(cls, arg: str, **_) -> "KeywordGuard":
        return cls()

    def check(self, items, mode):
        field = "prompt" if mode == "input" else "response"
        for it in items:
            found = topics(it[field])
            yield (
                it["id"],
                GuardVerdict("flagged" if found else "passed", float(bool(found)), found),
            )
