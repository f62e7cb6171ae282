import pytest

from safetygap.errors import UserError
from safetygap.models.registry import parse_spec


def test_embedded_name(tmp_path):
    assert parse_spec("smollm2-135m-instruct").kind == "embedded"
    assert parse_spec("minilm-l6").kind == "embedded"


def test_local_folder(tmp_path):
    spec = parse_spec(str(tmp_path))
    assert spec.kind == "local" and spec.name == str(tmp_path.resolve())


def test_hub_id():
    spec = parse_spec("meta-llama/Llama-3.1-8B-Instruct")
    assert spec.kind == "hub" and spec.name == "meta-llama/Llama-3.1-8B-Instruct"


def test_openai_endpoint():
    spec = parse_spec("openai:gpt-4o@https://api.openai.com/v1/")
    assert spec.is_remote
    assert spec.name == "gpt-4o"
    assert spec.base_url == "https://api.openai.com/v1"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "no-such-model",
        "./missing/folder",
        "openai:gpt-4o",
        "openai:@http://x",
        "openai:m@ftp://host",
    ],
)
def test_bad_specs(bad):
    with pytest.raises(UserError):
        parse_spec(bad)
