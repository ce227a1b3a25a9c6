"""entente_client with TLS and bearer tokens against a real entented (docs/security.md).

The certificates are made with the openssl command at test time. Run through CTest
(python_auth_test).
"""

import secrets
import subprocess

import grpc
import pytest

import entente_client
from entente_fixtures import running_server


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """(address, CA file, reader token, admin token) of a server with TLS and tokens."""
    pki = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", pki / "ca.key", "-out", pki / "ca.pem",
             "-days", "2", "-subj", "/CN=Entente test CA")
    _openssl("req", *ec, "-keyout", pki / "server.key", "-out", pki / "server.csr",
             "-subj", "/CN=localhost")
    (pki / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", pki / "server.csr", "-CA", pki / "ca.pem",
             "-CAkey", pki / "ca.key", "-CAcreateserial", "-days", "2",
             "-extfile", pki / "server.ext", "-out", pki / "server.pem")
    (pki / "server.key").chmod(0o600)
    reader, admin = secrets.token_hex(16), secrets.token_hex(16)
    tokens = pki / "tokens"
    tokens.write_text(f"reader {reader} notebook\nadmin {admin} ops\n")
    tokens.chmod(0o600)
    with running_server(["--tls-cert", str(pki / "server.pem"),
                         "--tls-key", str(pki / "server.key"), "--tokens", str(tokens)]) as address:
        yield address, str(pki / "ca.pem"), reader, admin


def test_reader_queries_but_cannot_read_the_stats(secured):
    address, ca, reader, _ = secured
    with entente_client.connect(address, token=reader, root_certificates=ca) as c:
        assert c.resolve("Tehran")[0].entity.id == "IRN"
        assert len(c.timeline("Iran", "Russia", since="2001", until="2025").facts) > 0
        with pytest.raises(entente_client.EntenteError) as denied:
            c.stats()
    assert denied.value.code == grpc.StatusCode.PERMISSION_DENIED
    assert "needs the admin role" in denied.value.message


def test_admin_with_the_ca_as_bytes(secured):
    address, ca, _, admin = secured
    with open(ca, "rb") as f:
        pem = f.read()
    with entente_client.connect(address, token=admin, root_certificates=pem) as c:
        assert c.stats().entity_count > 0


def test_no_token_is_unauthenticated(secured):
    address, ca, _, _ = secured
    with entente_client.connect(address, root_certificates=ca) as c:
        with pytest.raises(entente_client.EntenteError) as refused:
            c.resolve("Tehran")
    assert refused.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_a_token_never_goes_in_plaintext_off_loopback():
    with pytest.raises(ValueError, match="over TLS only"):
        entente_client.connect("192.0.2.1:50051", token=secrets.token_hex(16))
