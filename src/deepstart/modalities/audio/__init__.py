"""Sound (recordings in class folders, or listed by a table): a classifier on the embeddings of a network
pretrained on spoken words (transfer learning), or a CNN over log-mel spectrograms
trained from scratch, with augmentation that suits sound (time shifts, SpecAugment)."""

from __future__ import annotations

from ...errors import ConfigError
from ..base import Modality, Role
from ..given import Given
from ..recipe import Knob, Recipe
from . import read

CNN_STEPS = 1200  # optimisation steps aimed at, as for small images


class Audio(Modality):
    name = "audio"
    noun = "recordings"
    skipped_noun = "files"
    usable = "a usable recording"
    readable = "a readable recording"
    none_read = "No input could be read as a recording; give sound files (WAV, FLAC, OGG, MP3)."
    predict_example = "<sound file>"
    models = {
        "transfer": (
            "Google's speech_embedding network (frozen, pretrained on spoken words) + a linear classifier",
            "speech embeddings + classifier",
        ),
        "cnn": ("a CNN over log-mel spectrograms, trained from scratch", "spectrogram CNN"),
    }
    service = Role("serve", "AudioService")
    explainer = Role("explain", "AudioExplainer")
    exporter = Role("export", "AudioExporter")
    group_word = "speaker"  # recordings are grouped by whose voice they hold (--group-split)

    def encoder_classes(self) -> tuple:
        from .encoder import SpectrogramEncoder
        from .speech import SpeechEncoder

        return SpectrogramEncoder, SpeechEncoder

    def recognizes(self, given: Given) -> bool:
        """A folder whose files are mostly sound files, or a table that lists sound files."""
        return read.recognizes(given, asked=given.kind == self.name)

    def read_labeled(self, given: Given):
        return read.read_labeled(given)

    def read_unlabeled(self, inputs, columns: dict):
        return read.read_unlabeled(inputs)

    def baselines(self, split, encoder, seed: int) -> list:
        from .classical import candidates

        return candidates(split, seed)

    def classical_inputs(self, encoder, x, raw: list):
        from .classical import statistics

        return statistics(raw)  # MFCC statistics, from the recordings themselves

    def check_classical(self, classical, encoder, n_out: int, task: str) -> None:
        from ...classical import check_reads
        from .classical import WIDTH

        check_reads(classical, WIDTH, n_out, task)

    def recipe(self, examples, settings) -> Recipe:
        from ...models import speech

        model = settings.requested_model()
        if model not in ("auto", "cnn", "transfer"):
            raise ConfigError(
                f"--model {model} is for images and texts; recordings get transfer (pretrained speech "
                "embeddings) or cnn."
            )
        if model == "transfer" or (model == "auto" and speech.available()):
            return _transfer(settings)
        return _cnn(settings, model == "auto")


def _transfer(settings) -> Recipe:
    from ...models import speech
    from .speech import SpeechEncoder

    why = (
        "a network pretrained on a large corpus of spoken words (Google's speech_embedding) already places "
        "recordings of the same word close together whoever speaks, so only a classifier on its "
        "embeddings is trained (transfer learning)"
    )
    net = {"name": "linear", "in_features": speech.FEATURE_DIM, "dropout": settings.dropout}
    return Recipe("transfer", why, SpeechEncoder(cache=settings.cache), None, net, refit=True)


def _cnn(settings, instead: bool) -> Recipe:
    from ...settings import ACTIVATIONS
    from ...train.augment import SPEECH
    from .encoder import BANDS, SpectrogramEncoder

    why = (
        "the data are recordings: a CNN learns the shapes of their log-mel spectrograms (pictures of "
        "frequency over time) from scratch"
    )
    if instead:
        why += ' (the pretrained speech network is not installed: pip install "deepstart[speech]")'
    net = {
        "name": "cnn",
        "in_channels": 1,
        "size": BANDS,
        "activation": settings.activation,
        "dropout": settings.dropout,
        "hidden": 128,
        "pool_first": True,
    }
    knobs = {
        "activation": Knob("choice", choices=ACTIVATIONS[:3]),
        "augment": Knob("choice", choices=(True, False)),
    }
    augment = SPEECH if settings.augment else None
    return Recipe(
        "cnn",
        why,
        SpectrogramEncoder(),
        augment,
        net,
        steps=CNN_STEPS,
        epoch_range=(3, 200),
        clean_epochs=1,
        knobs=knobs,
    )


MODALITY = Audio()
