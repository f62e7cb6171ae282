"""Hub datasets of the kind the paper fine-tuned on, selectable by name.

They need the Hugging Face hub (network) or a warm `datasets` cache; when neither is there the
loader says so in one line. Each entry maps a dataset's columns onto (prompt, response).
"""

from dataclasses import dataclass

from safetygap.errors import UserError
from safetygap.hashing import text_id


@dataclass(frozen=True)
class HubSet:
    TASK: str
    DESCRIPTION: str
    path: str
    config: str | None
    split: str
    instruction: str
    limit: int = 20000

    def pair(self, row: dict) -> tuple[str, str] | None:
        """(text to put in the instruction, response) for one row."""
        if self.TASK == "summarization":
            return row.get("article", ""), row.get("abstract", "")
        if self.TASK == "translation":
            t = row.get("translation") or {}
            return t.get("en", ""), t.get("fr", "")
        if self.TASK == "code":
            text = row.get("instruction", "")
            if row.get("input"):
                text += "\n\n" + row["input"]
            return text, row.get("output", "")
        if self.TASK == "classification":
            labels = ("bearish", "bullish", "neutral")
            label = row.get("label")
            return row.get("text", ""), labels[label] if isinstance(label, int) else ""
        return None

    def load(self) -> list[dict]:
        try:
            import datasets

            ds = datasets.load_dataset(self.path, self.config, split=self.split)
        except Exception as e:  # offline, gated, renamed: all say the same to the user
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
            raise UserError(f"hub dataset {self.path} is not reachable: {first}") from None
        out = []
        for row in ds.select(range(min(self.limit, len(ds)))):
            text, response = self.pair(row) or ("", "")
            if text.strip() and response.strip():
                out.append(
                    {
                        "id": f"{self.path}:{text_id(text, keep_case=True)}",
                        "task": self.TASK,
                        "prompt": self.instruction.format(text=text[:4000]),
                        "response": response,
                    }
                )
        return out


ARXIV_SUMMARIZATION = HubSet(
    "summarization",
    "hub ccdv/arxiv-summarization: scientific paper -> abstract (the paper's kind)",
    "ccdv/arxiv-summarization",
    None,
    "train",
    "Summarise the following scientific paper.\n\n{text}",
    limit=10000,
)
PYTHON_CODE_INSTRUCTIONS = HubSet(
    "code",
    "hub iamtarun/python_code_instructions_18k_alpaca: instruction -> Python code",
    "iamtarun/python_code_instructions_18k_alpaca",
    None,
    "train",
    "{text}",
)
WMT14_EN_FR = HubSet(
    "translation",
    "hub wmt/wmt14 fr-en: English -> French sentences",
    "wmt/wmt14",
    "fr-en",
    "validation",
    "Translate the following text into French.\n\n{text}",
)
FINANCIAL_TWEETS = HubSet(
    "classification",
    "hub zeroshot/twitter-financial-news-sentiment: tweet -> bearish|bullish|neutral",
    "zeroshot/twitter-financial-news-sentiment",
    None,
    "train",
    "Classify the sentiment of this financial tweet as bearish, bullish or neutral."
    "\n\nTweet: {text}",
)
