"""A pixel bomb above Pillow's own limit (a 60000x60000 PNG of about 440 KB, which
Image.open refuses with DecompressionBombError) is "too large" everywhere: skipped with
its reason by train, evaluate, predict and the studio's data summary; 413 with one plain
line from a service; never a traceback, and refused from its header, before decoding."""

import io
import json
import shutil
import struct
import zlib

import pytest
from PIL import Image

from deepstart.data.images import ImageProblem, Pixels, decode, probe
from deepstart.studio.inspect import describe
from test_serve import client_for, digit, plain_error

from conftest import run_cli

SIDE = 60_000  # 3.6 billion pixels: twenty times Pillow's DecompressionBombError limit


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A real SIDE x SIDE 1-bit PNG, all black, written row by row (Pillow would allocate
    450 MB to make it): IHDR, one IDAT of zlib-compressed zero rows, IEND."""
    rows = bytes(1 + SIDE // 8) * 1000  # a filter byte and SIDE bits per row
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(rows) for _ in range(SIDE // 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", SIDE, SIDE, 1, 0, 0, 0, 0)  # 1-bit greyscale
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    with pytest.raises(Image.DecompressionBombError):  # above Pillow's own limit
        Image.open(io.BytesIO(data))
    return data


@pytest.fixture(scope="module")
def photos(tmp_path_factory, digits_root, bomb):
    """Two classes of six digits each, and the bomb among the 1s."""
    root = tmp_path_factory.mktemp("bombed") / "photos"
    for label in ("0", "1"):
        (root / label).mkdir(parents=True)
        for f in sorted((digits_root / label).iterdir())[:6]:
            shutil.copy(f, root / label / f.name)
    (root / "1" / "bomb.png").write_bytes(bomb)
    return root


def test_the_header_says_the_size_and_decoding_refuses_it(bomb):
    assert probe(bomb) == (SIDE, SIDE, True)
    with pytest.raises(ImageProblem, match=r"^too large \(60000x60000 pixels, limit 50,000,000\)$"):
        decode(bomb, Pixels(32, 1, crop=False), 50_000_000)


def test_the_limit_is_never_above_pillows_own(bomb):
    """A max_pixels above Pillow's limit does not let a bomb be decoded."""
    with pytest.raises(ImageProblem, match=f"limit {Image.MAX_IMAGE_PIXELS:,}"):
        decode(bomb, Pixels(32, 1, crop=False), 10**12)


def test_train_skips_the_bomb_and_lists_it(photos, tmp_path):
    out = tmp_path / "m"
    code, stdout, stderr = run_cli("train", str(photos), "--out", str(out), "--epochs", "2")
    assert code == 0, stderr
    skipped = json.loads((out / "manifest.json").read_text())["data"]["skipped"]
    assert [s["file"].rsplit("/", 1)[1] for s in skipped] == ["bomb.png"]
    assert skipped[0]["reason"].startswith("too large (60000x60000 pixels")
    assert "bomb.png: too large" in stderr and "Traceback" not in stderr


def test_evaluate_and_predict_skip_the_bomb(trained, photos):
    code, out, err = run_cli("evaluate", str(trained), str(photos), "--json")
    assert code == 0, err
    assert json.loads(out)["n"] == 12 and "bomb.png: too large" in err
    good = sorted((photos / "0").iterdir())[0]
    code, out, err = run_cli("predict", str(trained), str(good), str(photos / "1" / "bomb.png"), "--json")
    assert code == 0, err
    records = json.loads(out)
    assert records[0]["label"] in {"0", "1", "7"}
    assert records[1]["error"].startswith("too large (60000x60000 pixels")


def test_explain_refuses_the_bomb_in_one_line(trained, photos, tmp_path):
    code, _, err = run_cli("-q", "explain", str(trained), str(photos / "1" / "bomb.png"))
    assert code == 2 and err.count("\n") == 1 and "bomb.png: too large" in err, err


def test_serve_answers_413_in_one_line(trained, digits_root, bomb):
    files = [("file", ("d.png", digit(digits_root), "image/png")), ("file", ("bomb.png", bomb, "image/png"))]
    with client_for(trained) as client:
        for route, sent in (("/predict", files), ("/explain", files[1:])):
            said = plain_error(client.post(route, files=sent), 413)
            assert said == "bomb.png: too large (60000x60000 pixels, limit 40,000,000); send a smaller image."


def test_the_studios_data_summary_lists_the_bomb_as_skipped(photos):
    found = describe(photos, photos, {}, 50_000_000)
    assert "problem" not in found and found["n"] == 13
    assert found["skipped"] == [
        {"file": "1/bomb.png", "reason": "too large (60000x60000 pixels, limit 50,000,000)"}
    ]
    assert "1/bomb.png" not in found["samples"]["1"]  # never a thumbnail
