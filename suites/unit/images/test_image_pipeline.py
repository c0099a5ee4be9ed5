"""Pipeline inputs that need no engine: the company CA option, requirements, the revision."""

import shutil
import subprocess

import pytest

from harness.images.errors import ImagesError
from harness.images.pipeline import read_ca, revision
from harness.images.wheelhouse import project_requirements


def test_no_ca_means_no_certificate():
    """Without the option the build gets an empty CA argument."""
    assert read_ca(None) == ""


def test_a_pem_ca_is_read(tmp_path):
    """A real certificate made by openssl is passed through unchanged."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (it makes the real certificate)")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=company-ca", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "ca.pem")], check=True, capture_output=True)
    assert read_ca(tmp_path / "ca.pem") == (tmp_path / "ca.pem").read_text("ascii")


def test_a_key_or_missing_file_is_refused(tmp_path):
    """Anything but a PEM certificate is a clear error naming the file."""
    (tmp_path / "notes.txt").write_text("not a certificate", "ascii")
    with pytest.raises(ImagesError, match="notes.txt is not a PEM certificate"):
        read_ca(tmp_path / "notes.txt")
    with pytest.raises(ImagesError, match="cannot read the CA certificate"):
        read_ca(tmp_path / "missing.pem")


def test_requirements_include_the_chosen_extras(tmp_path):
    """Runtime dependencies plus each extra; an unknown extra is named."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["rich>=13"]\n'
        '[project.optional-dependencies]\nml = ["numpy"]\n', "utf-8")
    assert project_requirements(tmp_path, ("ml",)) == ["rich>=13", "numpy"]
    with pytest.raises(ImagesError, match="'gpu' is not an extra"):
        project_requirements(tmp_path, ("gpu",))


def test_revision_tags_dirty_trees(tmp_path):
    """The image tag is the short commit, with -dirty while tracked files have changes."""
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@localhost"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "a.py").write_text("x = 1\n", "utf-8")
    subprocess.run([*git, "add", "a.py"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    clean = revision(tmp_path)
    assert len(clean.commit) == 40 and clean.tag == clean.commit[:12]
    (tmp_path / "a.py").write_text("x = 2\n", "utf-8")
    assert revision(tmp_path).tag == clean.commit[:12] + "-dirty"
    assert revision(tmp_path / "not-a-repo").tag == "dev"
