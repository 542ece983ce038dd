// Test-only TLS material: a CA, a certificate for localhost/127.0.0.1/::1 and one for another host,
// all ECDSA P-256, valid from 2000-01-01 to 2100-01-01 (so clock skew never breaks the tests).
// The CA's private key was thrown away. Regenerate with OpenSSL 3 (`openssl req -x509` cannot
// backdate, hence `openssl ca`):
//
//   cat > ca.cnf <<'CNF'
//   [ca]
//   default_ca = test_ca
//   [test_ca]
//   database = index.txt
//   new_certs_dir = .
//   serial = serial
//   default_md = sha256
//   policy = any
//   copy_extensions = none
//   unique_subject = no
//   [any]
//   commonName = supplied
//   [ca_ext]
//   basicConstraints = critical,CA:TRUE
//   keyUsage = critical,keyCertSign,cRLSign
//   subjectKeyIdentifier = hash
//   [localhost_ext]
//   basicConstraints = CA:FALSE
//   keyUsage = critical,digitalSignature
//   extendedKeyUsage = serverAuth
//   subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
//   [wrong_ext]
//   basicConstraints = CA:FALSE
//   keyUsage = critical,digitalSignature
//   extendedKeyUsage = serverAuth
//   subjectAltName = DNS:wrong.example
//   CNF
//   touch index.txt; echo 1000 > serial
//   ca="openssl ca -batch -config ca.cnf -startdate 20000101000000Z -enddate 21000101000000Z -notext"
//   key="openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256"
//   $key -out ca.key
//   openssl req -new -key ca.key -subj "/CN=anju test CA" -out ca.csr
//   $ca -selfsign -keyfile ca.key -in ca.csr -extensions ca_ext -out ca.pem
//   $key -out server.key
//   openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
//   $ca -cert ca.pem -keyfile ca.key -in server.csr -extensions localhost_ext -out server.pem
//   $key -out wrong.key
//   openssl req -new -key wrong.key -subj "/CN=wrong.example" -out wrong.csr
//   $ca -cert ca.pem -keyfile ca.key -in wrong.csr -extensions wrong_ext -out wrong.pem
//   openssl verify -CAfile ca.pem server.pem wrong.pem
#include "tests/support/test_certs.hpp"

namespace anju::testing {

// The string_views are constant-initialised from literals, so they are safe to use from other
// translation units' static initialisers (e.g. LoopbackOptions defaults).
extern const std::string_view kTestCaPem = R"PEM(-----BEGIN CERTIFICATE-----
MIIBYzCCAQigAwIBAgICEAAwCgYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMYW5qdSB0
ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAXMRUwEwYD
VQQDDAxhbmp1IHRlc3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARU46KH
yJhlR77pUWO9/QndQ2syPNZ4xUvFAb8XEv970SmzQGruHqVP+EA3VSuxV1Q8EiHs
JCBX8bbkQFY2WPE8o0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIB
BjAdBgNVHQ4EFgQUZxbc6e7daV33sqJ0jRczUJDWfMUwCgYIKoZIzj0EAwIDSQAw
RgIhANoHv4PExWJ/WbE5lGzRwCJq46DVMV08dsD25fpz1CaZAiEAilp3RI7viNTY
Y+ECm0hur4whHEd29zyfCbs6j5Sb67M=
-----END CERTIFICATE-----)PEM";

extern const std::string_view kServerCertPem = R"PEM(-----BEGIN CERTIFICATE-----
MIIBvjCCAWWgAwIBAgICEAEwCgYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMYW5qdSB0
ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAUMRIwEAYD
VQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQzTLbfNJJq
J/Tajvpujx83ejit2ciM9EeeiR2RKgE9IhRJgkox5yYpZDVO4khG2phV/3QpZp0a
qCxxWMuFNE5To4GhMIGeMAkGA1UdEwQCMAAwDgYDVR0PAQH/BAQDAgeAMBMGA1Ud
JQQMMAoGCCsGAQUFBwMBMCwGA1UdEQQlMCOCCWxvY2FsaG9zdIcEfwAAAYcQAAAA
AAAAAAAAAAAAAAAAATAdBgNVHQ4EFgQU5jS58/XnxJGxMNJHD5DJaAVpwF4wHwYD
VR0jBBgwFoAUZxbc6e7daV33sqJ0jRczUJDWfMUwCgYIKoZIzj0EAwIDRwAwRAIg
eelxtbmt5d0HifxkhaSB5nD9IX1k/kZPgcHwjwtMElICIDUwluay9aEcYJRBUodT
E02cXnU4CFWfbc7xVJYUOzi4
-----END CERTIFICATE-----)PEM";

extern const std::string_view kServerKeyPem = R"PEM(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgE531ITi8NM42POFI
HthzB6jwUH+17p2N4CuYV1BsJAWhRANCAAQzTLbfNJJqJ/Tajvpujx83ejit2ciM
9EeeiR2RKgE9IhRJgkox5yYpZDVO4khG2phV/3QpZp0aqCxxWMuFNE5T
-----END PRIVATE KEY-----)PEM";

extern const std::string_view kWrongHostCertPem = R"PEM(-----BEGIN CERTIFICATE-----
MIIBrzCCAVWgAwIBAgICEAIwCgYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMYW5qdSB0
ZXN0IENBMCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAYMRYwFAYD
VQQDDA13cm9uZy5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3ts2
HsoUg6CYMeOBJwiJOsBDqV23DOv6PODFq2NpTRddd21iCdCPsTrkndPKZGlXrDo2
jUNmaHG8nDHZ30eV9aOBjTCBijAJBgNVHRMEAjAAMA4GA1UdDwEB/wQEAwIHgDAT
BgNVHSUEDDAKBggrBgEFBQcDATAYBgNVHREEETAPgg13cm9uZy5leGFtcGxlMB0G
A1UdDgQWBBRm+iunT9cBEdXpFjl0p+L/Pv/sqzAfBgNVHSMEGDAWgBRnFtzp7t1p
XfeyonSNFzNQkNZ8xTAKBggqhkjOPQQDAgNIADBFAiB7OH/BmF98/jk9OcX21uUp
YJXFxRNaiKKr1uVYpEYjdAIhAIFv7L/qfkUHvTxeTe5rc8kgMMiLyQBcIA+mIdDz
/+Pk
-----END CERTIFICATE-----)PEM";

extern const std::string_view kWrongHostKeyPem = R"PEM(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFgcrdIylM/6BF2kN
yiKC/lov9/pKo6Cbus/j9bdqN+ShRANCAATe2zYeyhSDoJgx44EnCIk6wEOpXbcM
6/o84MWrY2lNF113bWIJ0I+xOuSd08pkaVesOjaNQ2ZocbycMdnfR5X1
-----END PRIVATE KEY-----)PEM";

}  // namespace anju::testing
