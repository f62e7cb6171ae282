"""LoRA fine-tuning under the paper's calibrations, safety mixing, and the vendor alignment step."""
