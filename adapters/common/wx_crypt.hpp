// The "WXBizMsgCrypt" safe-mode scheme shared by WeChat Official Accounts and WeCom (PROTOCOLS.md §2):
// SHA-1 signatures over sorted strings, AES-256-CBC with PKCS#7 padding to 32-byte blocks, and the
// encrypted XML reply envelope.
#pragma once

#include "bot/core/error.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anju::adapters {

enum class crypto_errc {
    bad_signature = 1,    // signature / msg_signature does not match (official -40001)
    malformed_payload,    // the request body could not be parsed (official -40002)
    illegal_aes_key,      // EncodingAESKey is not 43 characters of [A-Za-z0-9] (official -40004)
    receive_id_mismatch,  // decrypted AppID / CorpID is not ours (official -40005)
    encrypt_failed,       // AES encryption failed (official -40006)
    decrypt_failed,       // AES decryption failed or the padding is invalid (official -40007)
    illegal_buffer,       // ciphertext or plaintext has an impossible length (official -40008)
    base64_failed,        // ciphertext is not valid base64 (official -40010)
};

boost::system::error_code make_error_code(crypto_errc e) noexcept;

// The error code of the official WXBizMsgCrypt samples for `e` (-40001 … -40010), for log lines that
// operators compare with WeChat/WeCom documentation.
int official_code(crypto_errc e) noexcept;

// Lower-case hex SHA-1 of `data` (OpenSSL EVP). Thread-safe.
std::string sha1_hex(std::string_view data);

// The WeChat signature: sort `parts` byte-wise lexicographically, concatenate them without a separator, and
// return the lower-case hex SHA-1. With (token, timestamp, nonce) it is the plaintext `signature`; with
// (token, timestamp, nonce, encrypt) it is `msg_signature`. Pass timestamp/nonce exactly as received.
// Thread-safe.
std::string wx_signature(std::vector<std::string_view> parts);

// True if `a` and `b` are equal, in time depending only on their lengths (CRYPTO_memcmp). Use it to compare a
// received signature with the computed one. Thread-safe.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// Checks a received `signature` / `msg_signature` against wx_signature(parts), in constant time. Fails with
// crypto_errc::bad_signature (official -40001). Thread-safe.
[[nodiscard]] boost::system::result<void> check_signature(std::string_view received,
                                                          std::vector<std::string_view> parts);

// Standard base64 (RFC 4648 §4, "+/" alphabet, '=' padding, no line breaks).
std::string base64_encode(std::string_view bytes);

// Strict standard base64 decoding: the length must be a multiple of 4, padding only at the end (at most two
// '='), and every other character from the "+/" alphabet — whitespace, '-', '_' and line breaks are refused.
// nullopt on any violation. The unused low bits of the last character before the padding are ignored
// (RFC 4648 §3.5 lets decoders do so) because WeChat's EncodingAESKey + "=" has non-zero bits there
// (PROTOCOLS §2.1 "Decoder gotcha"). Thread-safe.
std::optional<std::string> base64_decode(std::string_view text);

// A decrypted message with the receive id (AppID / CorpID / "" for WeCom 智能机器人) found in the plaintext.
struct Decrypted {
    std::string message;
    std::string receive_id;
};

// AES encryption/decryption of WeChat/WeCom messages with one EncodingAESKey and receive id.
// Cheap to copy and move (a 32-byte key and the receive id); the key bytes are wiped on destruction and never
// appear in messages. Immutable after create(): every const member is safe to call from many threads at once
// (each call uses its own OpenSSL cipher context).
class WxCrypt {
public:
    // Checks and decodes the EncodingAESKey: exactly 43 characters of [A-Za-z0-9], AES key =
    // base64(key + "="), 32 bytes, IV = its first 16 bytes. `receive_id` is the AppID (MP) or CorpID (WeCom
    // app); an empty receive_id disables the receive-id check (WeCom 智能机器人 uses ""). Fails with
    // crypto_errc::illegal_aes_key.
    [[nodiscard]] static boost::system::result<WxCrypt> create(std::string_view encoding_aes_key,
                                                               std::string receive_id);

    WxCrypt(const WxCrypt&) = default;
    WxCrypt(WxCrypt&&) noexcept = default;
    WxCrypt& operator=(const WxCrypt&) = default;
    WxCrypt& operator=(WxCrypt&&) noexcept = default;
    ~WxCrypt();

    // Decrypts a base64 ciphertext (the <Encrypt> value, the JSON "encrypt" value or the URL-decoded WeCom
    // echostr) and returns the message bytes as they are (UTF-8 from WeChat, not validated here). Verify the
    // msg_signature first. Fails, following PROTOCOLS §2.9, with:
    // - base64_failed: not strict base64;
    // - illegal_buffer: empty or not a multiple of 32 bytes, fewer than 20 bytes after unpadding, or a
    //   msg_len that overruns the plaintext;
    // - decrypt_failed: OpenSSL failure, pad byte outside 1..32 or pad bytes not all equal (also the usual
    //   symptom of a wrong EncodingAESKey);
    // - receive_id_mismatch: a receive id is configured and the plaintext's differs (an empty configured id
    //   accepts any, and the plaintext's may be empty).
    // Never throws except std::bad_alloc.
    [[nodiscard]] boost::system::result<std::string> decrypt(std::string_view base64_ciphertext) const;

    // decrypt() that also returns the plaintext's receive id.
    [[nodiscard]] boost::system::result<Decrypted> decrypt_with_receive_id(
        std::string_view base64_ciphertext) const;

    // Encrypts `message` as random16 || msg_len (big-endian u32) || message || receive_id, padded with PKCS#7
    // to 32-byte blocks, and returns the base64 ciphertext. Deterministic, for test vectors: `random16` must
    // be exactly 16 bytes (std::invalid_argument otherwise — a programming error). Throws std::length_error
    // for messages of 4 GiB or more and std::runtime_error if OpenSSL fails (out of memory).
    std::string encrypt(std::string_view message, std::string_view random16) const;

    // encrypt() with 16 fresh random bytes from RAND_bytes (std::runtime_error if the CSPRNG fails).
    std::string encrypt(std::string_view message) const;

    // The configured receive id ("" = not checked).
    const std::string& receive_id() const noexcept { return receive_id_; }

private:
    static constexpr std::size_t kKeyBytes = 32;

    WxCrypt() = default;

    std::array<unsigned char, kKeyBytes> key_{};
    std::string receive_id_;
};

// The four fields of an encrypted passive reply (PROTOCOLS §2.5).
struct EncryptedEnvelope {
    std::string encrypt;
    std::string signature;  // msg_signature over (token, timestamp, nonce, encrypt)
    std::string timestamp;
    std::string nonce;
};

// The XML reply body, exactly
// <xml><Encrypt><![CDATA[…]]></Encrypt><MsgSignature><![CDATA[…]]></MsgSignature><TimeStamp>…</TimeStamp>
// <Nonce><![CDATA[…]]></Nonce></xml> (one line). Values go through cdata()/escape_text(), so an odd nonce
// copied from a request cannot break the document.
std::string render_encrypted_xml(const EncryptedEnvelope& envelope);

// Encrypts `message` with fresh randomness and signs it: msg_signature = wx_signature(token, timestamp,
// nonce, encrypt). timestamp (seconds) and nonce may be fresh or the request's. Throws only as
// WxCrypt::encrypt.
EncryptedEnvelope seal(const WxCrypt& crypt, std::string_view token, std::string_view message,
                       std::string timestamp, std::string nonce);

// seal() with a fixed 16-byte random prefix, for test vectors.
EncryptedEnvelope seal(const WxCrypt& crypt, std::string_view token, std::string_view message,
                       std::string timestamp, std::string nonce, std::string_view random16);

}  // namespace anju::adapters

template <>
struct anju::ErrcTraits<anju::adapters::crypto_errc> {
    static constexpr const char* name = "anju.wx_crypt";
    static std::string_view message(anju::adapters::crypto_errc e);
};

template <>
struct boost::system::is_error_code_enum<anju::adapters::crypto_errc> : std::true_type {};
