// Embedded, test-only TLS material (ECDSA P-256, valid 2000–2100) for loopback TLS servers and
// clients. Never use it outside tests: the private keys are public.
#pragma once

#include <string_view>

namespace anju::testing {

// The test CA certificate. Trust it with TlsClientOptions{.ca_pem = ..., .use_system_roots = false}.
extern const std::string_view kTestCaPem;

// A server certificate signed by the test CA for DNS:localhost, IP:127.0.0.1 and IP:::1, and its key.
extern const std::string_view kServerCertPem;
extern const std::string_view kServerKeyPem;

// A server certificate signed by the same CA but only for DNS:wrong.example, and its key: a client
// connecting to 127.0.0.1 or localhost must reject it.
extern const std::string_view kWrongHostCertPem;
extern const std::string_view kWrongHostKeyPem;

}  // namespace anju::testing
