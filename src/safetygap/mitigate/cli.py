"""`safetygap mitigate`."""

import typer

from safetygap.mitigate import METHODS


def mitigate_command(
    method: str = typer.Option(..., "--method", help=f"One of: {', '.join(METHODS)}."),
    adapter: str = typer.Option(..., "--adapter", help="The finished LoRA fine-tune to repair."),
    out: str = typer.Option(..., "--out", help="Folder for the repaired adapter or model."),
    model: str = typer.Option(
        None, "--model", help="The aligned base the adapter was trained on (default: as recorded)."
    ),
    unaligned: str = typer.Option(
        None,
        "--unaligned",
        help="safelora, resta: the model before alignment (default: the one `safetygap align` "
        "started from, when --model is its output; for hub models, e.g. the base next to the "
        "instruct model).",
    ),
    lam: float = typer.Option(
        None, "--lambda", help="scale: the factor, 0 (before fine-tuning) to 1 (after)."
    ),
    threshold: float = typer.Option(
        None, "--threshold", help="safelora: project every module whose similarity is <= this."
    ),
    layers: int = typer.Option(
        None, "--layers", help="safelora: project the N least similar modules (default: 10%)."
    ),
    beta: float = typer.Option(None, "--beta", help="resta: the safety vector's weight (0.5)."),
    dare: float = typer.Option(
        None, "--dare", help="resta: DARE drop rate for the fine-tune's update (0 = off)."
    ),
    seed: int = typer.Option(None, "--seed", help="resta: the DARE seed (0)."),
) -> None:
    """Repair an eroded LoRA fine-tune after training, without data.

    scale: the update times --lambda (free; a grid gives a curve). safelora: Safe LoRA (Hsu et
    al. 2024) projects the least aligned modules onto the alignment direction W_aligned -
    W_unaligned. resta: RESTA (Bhardwaj et al. 2024) adds that safety vector back, times
    --beta. scale and safelora write an adapter (`--model BASE --adapter OUT`); resta writes a
    merged model (`--model OUT`); OUT/mitigate.json says which, with the method's report. A
    failed run leaves no OUT; the same command again does nothing.
    """
    from safetygap.mitigate.run import mitigate

    params = {"lam": lam, "threshold": threshold, "layers": layers, "beta": beta, "dare": dare}
    params["seed"] = seed
    mitigate(method, adapter, out, model=model, unaligned=unaligned, params=params)
