"""The project's manifests agree with the device package."""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def device_modules():
    return sorted(p.name for p in (ROOT / "device" / "ulearn").glob("*.py"))


def test_mip_manifest_lists_every_device_module():
    manifest = json.loads((ROOT / "package.json").read_text())
    assert manifest["urls"] == [["ulearn/" + n, "device/ulearn/" + n] for n in device_modules()]
    for _, src in manifest["urls"]:
        assert (ROOT / src).is_file()


def test_versions_agree():
    import ulearn
    import ulearn_host
    manifest = json.loads((ROOT / "package.json").read_text())
    pyproject = (ROOT / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1)
    assert manifest["version"] == ulearn.__version__ == ulearn_host.__version__ == version

