from safetygap.bench.taxonomy import _EXACT, BENIGN, CATEGORIES, normalise


def test_every_exact_label_maps_into_the_taxonomy():
    assert set(_EXACT.values()) <= set(CATEGORIES)


def test_source_labels_normalise():
    assert normalise("cybercrime_intrusion") == "cybercrime"
    assert normalise("Hate, harassment and discrimination") == "hate_harassment"
    assert normalise("  Non-violent   crimes ") == "illegal_activity"
    assert normalise("S006sh") == "self_harm"
    assert normalise("S009private") == "privacy"


def test_keyword_fallback_and_other():
    assert normalise("Malware generation") == "cybercrime"
    assert normalise("suicide and self-harm") == "self_harm"
    assert normalise("weapons") == "violence_weapons"
    assert normalise("something new") == "other"
    assert normalise("") == "other"
    assert normalise(BENIGN) == BENIGN
