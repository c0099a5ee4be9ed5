"""The secrets scanner on real files: keys, service accounts, tokens, .git, certificates."""

import json
import shutil
import subprocess
import tarfile

import pytest

from harness.images.layers import read_layer
from harness.images.secrets import CERTIFICATE, SecretRules


@pytest.fixture(name="key_pem", scope="module")
def fixture_key_pem(tmp_path_factory) -> bytes:
    """A real RSA private key and a self-signed certificate, made with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (it makes the real key and certificate)")
    folder = tmp_path_factory.mktemp("pki")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=test-ca", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "ca.pem")], check=True, capture_output=True)
    return folder / "key.pem"


def kinds_of(path, data, rules=SecretRules()):
    """What the scanner reports for one file."""
    return rules.kinds(path, data)


def test_private_key_found(key_pem):
    """Private key found."""
    assert kinds_of("/home/harness/id_rsa", key_pem.read_bytes()) == ["private key"]


def test_service_account_json_found(tmp_path, key_pem):
    """A service-account file with its key is found; code building one without a key is not."""
    account = {"type": "service" + "_account", "project_id": "p", "private_key_id": "abc",
               "private_key": key_pem.read_text("ascii"),
               "client_email": "x@p.iam.gserviceaccount.com"}
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(account, indent=2), "utf-8")
    assert "service-account JSON" in kinds_of("/app/sa.json", path.read_bytes())
    code = b'account = {"type": "service' + b'_account", "private_key": pem}'
    assert not kinds_of("/app/make_account.py", code)


# Fake tokens are assembled at run time: this file is copied into the images, whose secrets
# scan must stay clean.
@pytest.mark.parametrize(("text", "kind"), [
    (b"token=gh" + b"p_" + b"a1B2" * 9, "GitHub token"),
    (b"SLACK=xo" + b"xb-123456789012-abcdefABCDEF", "Slack token"),
    (b"url: https://hooks.slack" + b".com/services/T01ABCDEF2/B01ABCDEF3/" + b"aB3" * 8,
     "Slack webhook URL"),
    (b"aws_access_key_id = AK" + b"IAIOSFODNN7EXAMPLE", "AWS access key"),
])
def test_tokens_found(text, kind):
    """Tokens found."""
    assert kinds_of("/app/.env", text) == [kind]


def test_ordinary_files_are_clean():
    """Ordinary files are clean."""
    assert not kinds_of("/usr/lib/python3.11/ssl.py",
                        b'PEM_HEADER = "-----BEGIN CERTIFICATE-----"\n')
    assert not kinds_of("/opt/venv/bin/python", b"\x7fELF" + b"\0" * 100)
    assert not kinds_of("/opt/big.so", None)


def test_git_metadata_is_found_by_path():
    """Git metadata is found by path."""
    assert kinds_of("/app/.git/config", b"[core]") == ["git metadata (.git)"]
    assert not kinds_of("/app/.gitignore", b"*.pyc")


def test_certificates_allowed_only_where_configured(key_pem):
    """Certificates allowed only where configured."""
    certificate = (key_pem.parent / "ca.pem").read_bytes()
    rules = SecretRules(allowed_certificates=("*/certifi/cacert.pem",))
    assert not kinds_of("/opt/venv/lib/certifi/cacert.pem", certificate, rules)
    assert kinds_of("/usr/local/share/ca.crt", certificate, rules) == [CERTIFICATE]


def test_the_build_only_ca_is_found_anywhere(key_pem):
    """The build only ca is found anywhere."""
    certificate = (key_pem.parent / "ca.pem").read_bytes()
    rules = SecretRules(allowed_certificates=("*",), forbidden=(certificate,))
    bundle = b"# bundle\n" + certificate + b"\n"
    assert kinds_of("/opt/venv/lib/certifi/cacert.pem", bundle, rules) == [
        "build-only CA certificate"]


def test_scan_a_real_layer_tarball(tmp_path, key_pem):
    """The scanner as the inspector runs it: over a layer tarball, one finding per file."""
    tree = tmp_path / "layer"
    (tree / "app" / ".git").mkdir(parents=True)
    (tree / "app" / ".git" / "HEAD").write_text("ref: refs/heads/main\n", "utf-8")
    (tree / "app" / "main.py").write_text("print('hi')\n", "utf-8")
    (tree / "root").mkdir()
    (tree / "root" / "key.pem").write_bytes(key_pem.read_bytes())
    archive_path = tmp_path / "layer.tar"
    with tarfile.open(archive_path, "w") as archive:
        archive.add(tree, arcname=".")
    found = []
    rules = SecretRules()
    with archive_path.open("rb") as stream:
        read_layer(stream, lambda path, size, data: found.extend(
            (path, kind) for kind in rules.kinds(path, data)))
    assert sorted(found) == [("/app/.git/HEAD", "git metadata (.git)"),
                             ("/root/key.pem", "private key")]
