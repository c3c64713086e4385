"""Sound explanations drawn and written: the recording's log-mel spectrogram (time across,
pitch up) with occlusion.py's patches laid over it in the heatmap colours, its axes in
seconds and hertz. Written as files (deepstart explain: a PNG per recording and
explanations.json and .html, where each recording can be played), as JSON (serve's
/explain) and beside the worst mistakes (report.html: the picture and an audio player)."""

from __future__ import annotations

import base64
import io
import json
from html import escape
from pathlib import Path

import numpy as np
from PIL import Image

from ...errors import ConfigError
from ...explain.overlay import overlay
from ...files import write_atomic
from ..explainer import Explainer
from .encoder import RANGE_DB, RATE, mel_filters
from .occlusion import Occlusion, mel, occlude, sound_of, stft
from .read import read_unlabeled

EMBED_SECONDS = 30  # a recording played from a page: its first 30 s at most (16 kHz WAV: under 1 MB)
NOTE = (
    "The picture is the recording's spectrogram: time runs across, pitch rises upwards, brighter is "
    "louder. Each patch was removed from the sound in turn; the redder a patch, the more the "
    "probability of {what} dropped without it."
)


def picture_png(found: Occlusion, size: tuple[float, float] = (8, 3.4), dpi: int = 100) -> bytes:
    """The spectrogram with the heat of each patch over it, its axes and a colour scale."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    grey, heat = _spectrogram(found)
    shown = np.asarray(overlay(Image.fromarray(grey), heat))
    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)  # drawn off screen, with no global state (serve draws from threads)
    ax = fig.add_subplot()
    end, top = found.start + len(found.sound) / RATE, float(mel(RATE / 2))
    ax.imshow(shown, extent=(found.start, end, 0, top), aspect="auto", interpolation="nearest")
    ticks = mel(found.bands_hz)
    ax.set_yticks(ticks, [_hz(f) for f in found.bands_hz])
    for m in ticks[1:-1]:
        ax.axhline(m, color="white", linewidth=0.4, alpha=0.35)
    for s in found.segments_s[1:-1]:
        ax.axvline(s, color="white", linewidth=0.4, alpha=0.35)
    ax.set_xlabel("seconds")
    ax.set_ylabel("Hz (mel scale)")
    regression = found.label is None
    said = f"{found.value:.4g}" if regression else f"'{found.label}' ({found.value:.0%})"
    heard = f" (the model hears {found.start:.2f} to {end:.2f} s)" if found.start else ""
    ax.set_title(f"What decided {said}{heard}", fontsize=10)
    scale = max(float(found.effects.max()), 1e-9) * (1 if regression else 100)
    bar = fig.colorbar(ScalarMappable(Normalize(0, scale), "jet"), ax=ax, pad=0.02)
    bar.set_label("change of the number" if regression else "probability drop (points)", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _spectrogram(found: Occlusion) -> tuple[np.ndarray, np.ndarray]:
    """((mel bands, frames) uint8 log-mel picture, high pitches on top; the patches' heat
    at the same size)."""
    freqs, times, bins = stft(found.sound)
    power = mel_filters() @ (np.abs(bins) ** 2)  # (64 mel bands, frames)
    db = 10 * np.log10(np.maximum(power, 1e-12))
    db = np.clip(db - db.max(), -RANGE_DB, 0)
    grey = np.round((db + RANGE_DB) / RANGE_DB * 255).astype(np.uint8)[::-1]
    centres = np.linspace(0, float(mel(RATE / 2)), len(power) + 2)[1:-1]  # each mel band's centre
    rows = np.clip(
        np.searchsorted(mel(found.bands_hz), centres, side="right") - 1, 0, len(found.bands_hz) - 2
    )
    cols = np.searchsorted(found.segments_s, found.start + times, side="right") - 1
    cols = np.clip(cols, 0, len(found.segments_s) - 2)
    return grey, found.heat()[np.ix_(rows, cols)][::-1]


def _hz(f: float) -> str:
    return f"{f / 1000:.1f}k" if f >= 1000 else f"{f:.0f}"


def audio_html(sound: np.ndarray) -> str:
    """An audio player with the recording inside the page (16 kHz, 16-bit WAV; its first
    EMBED_SECONDS at most)."""
    import soundfile

    cut = len(sound) > EMBED_SECONDS * RATE
    buffer = io.BytesIO()
    soundfile.write(
        buffer, np.clip(sound[: EMBED_SECONDS * RATE], -1, 1), RATE, format="WAV", subtype="PCM_16"
    )
    data = base64.b64encode(buffer.getvalue()).decode()
    more = f" <span class='muted'>(its first {EMBED_SECONDS} s)</span>" if cut else ""
    return f'<audio controls preload="metadata" src="data:audio/wav;base64,{data}"></audio>{more}'


def png_html(png: bytes, alt: str, width: int) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}" width="{width}">'


def explain_files(predictor, inputs: list, out: Path, class_name: str | None) -> list[str]:
    """deepstart explain: <name>.heatmap.png per recording, explanations.json and
    explanations.html in out; a line per recording."""
    if class_name is not None and class_name not in predictor.classes_:
        raise ConfigError(
            f"--class {class_name} is not a class of this model ({', '.join(predictor.classes_)})."
        )
    files = read_unlabeled(inputs).items
    index = None if class_name is None else list(predictor.classes_).index(class_name)
    sounds = [sound_of(path, str(path)) for path in files]
    found = [occlude(predictor, sound, index) for sound in sounds]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"--out {out} cannot be created ({e.strerror}); give another folder.") from None
    lines, records, sections = [], [], []
    for path, sound, one, name in zip(files, sounds, found, _unique_names(files)):
        png = picture_png(one)
        write_atomic(out / f"{name}.heatmap.png", png)
        records.append({"input": str(path), "heatmap": f"{name}.heatmap.png", **one.record()})
        sections.append(_section(str(path), one, png, sound))
        top = one.strongest()
        where = f"{top['from_s']:g}-{top['to_s']:g} s, {top['from_hz']}-{top['to_hz']} Hz"
        said = one.label if class_name is None else f"explained {class_name}"
        lines.append(f"{path}\t{said}\t(decided most by {where})\t{out / f'{name}.heatmap.png'}")
    write_atomic(out / "explanations.json", json.dumps({"recordings": records}, indent=2) + "\n")
    write_atomic(out / "explanations.html", _page(sections))
    return lines


def _section(name: str, found: Occlusion, png: bytes, sound: np.ndarray) -> str:
    said = f"{found.value:.4g}" if found.label is None else f"{escape(found.label)} ({found.value:.0%})"
    return (
        f"<h2>{escape(name)}: {said}</h2>"
        f"<p>{png_html(png, f'spectrogram of {name} with the patches that decided', 800)}</p>"
        f"<p>{audio_html(sound)}</p>"
    )


def _page(sections: list[str]) -> str:
    note = escape(NOTE.format(what="the class named above it"))
    return (
        "<!doctype html><meta charset='utf-8'><title>Why these predictions</title>"
        "<body style='font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.5'>"
        "<h1>Which moments and frequencies decided</h1>"
        f"<p>{note}</p>" + "".join(sections) + "</body>"
    )


def _unique_names(files) -> list[str]:
    """Each file's name for its picture: its stem, with its folder's name where two share one."""
    stems = [Path(f).stem for f in files]
    names = [f"{Path(f).parent.name}-{s}" if stems.count(s) > 1 else s for f, s in zip(files, stems)]
    return [f"{n}-{i + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def explain_upload(predictor, data: bytes) -> dict:
    """serve's /explain: the label and the spectrogram with its heat (PNG, base64)."""
    found = occlude(predictor, sound_of(data, "the upload"))
    png = picture_png(found, size=(6.4, 3), dpi=100)
    return {
        **found.record(),
        "heatmap_png": base64.b64encode(png).decode(),
        "wide": True,  # a picture with axes: shown at the answer's width
        "alt": "the recording's spectrogram, coloured where it decided the prediction",
        "note": NOTE.format(what="the number" if found.label is None else f"'{found.label}'"),
    }


def mistakes_html(predictor, worst: list[dict]) -> dict[str, str]:
    """report.html: per worst mistake's recording (those still on disk), its spectrogram
    with the patches that led to the wrong prediction, and a player."""
    found = {}
    for mistake in worst:
        path = Path(mistake["input"])
        if not path.is_file():
            continue
        sound = sound_of(path, str(path))
        one = occlude(predictor, sound)
        picture = png_html(picture_png(one, size=(5.6, 2.6)), f"spectrogram of {path.name}", 420)
        found[str(path)] = (
            f"{picture}<br>{audio_html(sound)}<br><span class='muted'>{escape(str(path))}</span>"
        )
    return found


class AudioExplainer(Explainer):
    """Which moments and frequencies decided: occlusion on the sound (occlusion.py)."""

    options = frozenset({"class"})  # explain --class: why it would be that class

    def can_explain(self, model) -> bool:
        return True  # occlusion on the sound asks the model itself: any encoder, PyTorch or ONNX

    def explain(self, model, inputs: list, out, options: dict) -> list[str]:
        if not inputs:
            raise ConfigError("Give sound files (or folders of them) to explain.")
        return explain_files(model, inputs, out or Path("why"), options.get("class"))

    def explain_one(self, model, item) -> dict:
        return explain_upload(model, item)

    def explain_mistakes(self, model, worst: list[dict]) -> dict[str, str]:
        return mistakes_html(model, worst)

    def mistakes_note(self, task: str) -> str:
        return (
            "Each recording is drawn as its spectrogram (time across, pitch upwards, brighter is louder); "
            "each patch of it was removed from the sound in turn, and the redder a patch, the more its "
            "removal lowered the probability of the (wrong) prediction. Play the recording to hear it."
        )
