"""Generation: chat-templated prompts in, responses streamed to JSONL (resumable)."""
