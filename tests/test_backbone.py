"""The pretrained backbone: real ImageNet weights, the right input normalisation,
and the fast ONNX Runtime path computing what PyTorch computes."""

import io

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_sample_images

from deepstart.data.images import decode
from deepstart.modalities.images.encoders import FeatureEncoder
from deepstart.models import efficientnet

DAISY, PALACE, BELL_COTE = 985, 698, 442  # ImageNet class indices


@pytest.fixture(scope="module")
def sample_photos():
    """scikit-learn's two sample photos as (2, 224, 224, 3) uint8: a temple, a flower."""
    photos = []
    for image in load_sample_images().images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "PNG")
        photos.append(decode(buffer.getvalue(), efficientnet.PIXELS, 10**8))
    return np.stack(photos)


def test_pretrained_network_recognises_sample_photos(sample_photos):
    network = efficientnet.build_classifier()
    with torch.no_grad():
        probs = torch.softmax(network(torch.from_numpy(efficientnet.normalize(sample_photos))), 1)
    temple, flower = probs.topk(2).indices.tolist()
    assert set(temple) == {PALACE, BELL_COTE}
    assert flower[0] == DAISY
    # With ImageNet mean/std instead of (x - 0.5) / 0.5 the daisy drops to about 0.11.
    assert probs[1, DAISY] > 0.25


def test_untrained_network_does_not(sample_photos):
    torch.manual_seed(0)
    network = efficientnet.build_classifier(pretrained=False)
    with torch.no_grad():
        probs = torch.softmax(network(torch.from_numpy(efficientnet.normalize(sample_photos))), 1)
    assert probs[1, DAISY] < 0.05


def test_onnx_runtime_features_match_pytorch(sample_photos):
    encoder = FeatureEncoder()
    assert encoder.network.engine == "onnxruntime"
    x = efficientnet.normalize(sample_photos)
    with torch.no_grad():
        expected = efficientnet.build_features()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(encoder.network(x), expected, atol=1e-3)


def test_second_encoding_comes_from_the_cache(tmp_path, monkeypatch):
    for i in range(3):
        Image.fromarray(np.full((40, 40, 3), 60 * i, np.uint8)).save(tmp_path / f"{i}.png")
    files = sorted(tmp_path.iterdir())
    encoder = FeatureEncoder()
    first = encoder.encode(files)

    def fail(*args):
        raise AssertionError("the network ran although every image was cached")

    monkeypatch.setattr(encoder, "_compute", fail)
    second = encoder.encode(files)
    np.testing.assert_array_equal(first.features, second.features)
    assert first.features.shape == (3, efficientnet.FEATURE_DIM)


def test_worker_processes_decode_like_threads(digits_root, monkeypatch):
    from deepstart.data.images import Pixels
    from deepstart.modalities.images import encoders

    files = sorted(digits_root.rglob("*.png"))
    encoder = encoders.PixelEncoder(Pixels(16, 1, crop=False), workers=2)
    threads = encoder.encode(files)
    monkeypatch.setattr(encoders, "PROCESS_MIN", 1)
    processes = encoder.encode(files)
    np.testing.assert_array_equal(threads.features, processes.features)
    assert threads.hashes == processes.hashes and threads.features.shape == (72, 1, 16, 16)
