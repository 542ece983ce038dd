#include "adapters/common/wx_crypt.hpp"

#include "adapters/common/xml.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>

namespace anju::adapters {

boost::system::error_code make_error_code(crypto_errc e) noexcept { return make_errc_code(e); }

int official_code(crypto_errc e) noexcept {
    switch (e) {
        case crypto_errc::bad_signature:
            return -40001;
        case crypto_errc::malformed_payload:
            return -40002;
        case crypto_errc::illegal_aes_key:
            return -40004;
        case crypto_errc::receive_id_mismatch:
            return -40005;
        case crypto_errc::encrypt_failed:
            return -40006;
        case crypto_errc::decrypt_failed:
            return -40007;
        case crypto_errc::illegal_buffer:
            return -40008;
        case crypto_errc::base64_failed:
            return -40010;
    }
    return -40000;
}

namespace {

// WXBizMsgCrypt pads with PKCS#7 to 32-byte blocks (PROTOCOLS §2.3), not AES's 16, so OpenSSL's padding is
// disabled and we pad/unpad ourselves.
constexpr std::size_t kPadBlock = 32;
constexpr std::size_t kRandomBytes = 16;
constexpr std::size_t kHeaderBytes = kRandomBytes + 4;  // random || msg_len
constexpr std::string_view kEncodingAesKeyAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kEncodingAesKeyChars = 43;

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kNotBase64 = 0xFF;

constexpr std::array<std::uint8_t, 256> make_base64_table() {
    std::array<std::uint8_t, 256> table{};
    for (auto& entry : table) {
        entry = kNotBase64;
    }
    for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
        table[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return table;
}

constexpr std::array<std::uint8_t, 256> kBase64Table = make_base64_table();

unsigned char* bytes_of(std::string& s) noexcept { return reinterpret_cast<unsigned char*>(s.data()); }

struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};

// AES-256-CBC over `data` in place (OpenSSL allows exactly overlapping in/out), IV = key[0:16], no padding.
// `data` must be a multiple of 16 bytes. A fresh context per call keeps WxCrypt thread-safe without locks;
// the allocation is small next to the base64 and string work around it.
bool aes_256_cbc_in_place(const std::array<unsigned char, 32>& key, std::string& data, bool encrypt) {
    if (data.size() > static_cast<std::size_t>(INT_MAX)) {
        return false;
    }
    const std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
    if (!ctx) {
        return false;
    }
    if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), key.data(), encrypt ? 1 : 0) !=
            1 ||
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
        return false;
    }
    int written = 0;
    if (EVP_CipherUpdate(ctx.get(), bytes_of(data), &written, bytes_of(data),
                         static_cast<int>(data.size())) != 1) {
        return false;
    }
    int final_written = 0;
    if (EVP_CipherFinal_ex(ctx.get(), bytes_of(data) + written, &final_written) != 1) {
        return false;
    }
    return static_cast<std::size_t>(written) + static_cast<std::size_t>(final_written) == data.size();
}

}  // namespace

std::string sha1_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
        throw std::runtime_error("SHA-1 digest failed");
    }
    constexpr std::string_view kHex = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * std::size_t{length});
    for (unsigned int i = 0; i < length; ++i) {
        hex.push_back(kHex[static_cast<std::size_t>(digest[i] >> 4)]);
        hex.push_back(kHex[static_cast<std::size_t>(digest[i] & 0x0F)]);
    }
    return hex;
}

std::string wx_signature(std::vector<std::string_view> parts) {
    std::sort(parts.begin(), parts.end());  // string_view compares bytes as unsigned char: byte-wise order
    std::size_t total = 0;
    for (const std::string_view part : parts) {
        total += part.size();
    }
    std::string joined;
    joined.reserve(total);
    for (const std::string_view part : parts) {
        joined.append(part);
    }
    return sha1_hex(joined);
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

boost::system::result<void> check_signature(std::string_view received, std::vector<std::string_view> parts) {
    if (!constant_time_equal(received, wx_signature(std::move(parts)))) {
        return crypto_errc::bad_signature;
    }
    return {};
}

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto at = [&bytes](std::size_t index) -> std::uint32_t {
        return static_cast<unsigned char>(bytes[index]);
    };
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
        out.push_back(kBase64Alphabet[(n >> 18) & 0x3F]);
        out.push_back(kBase64Alphabet[(n >> 12) & 0x3F]);
        out.push_back(kBase64Alphabet[(n >> 6) & 0x3F]);
        out.push_back(kBase64Alphabet[n & 0x3F]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t n = at(i) << 16;
        out.push_back(kBase64Alphabet[(n >> 18) & 0x3F]);
        out.push_back(kBase64Alphabet[(n >> 12) & 0x3F]);
        out.append("==");
    } else if (rest == 2) {
        const std::uint32_t n = (at(i) << 16) | (at(i + 1) << 8);
        out.push_back(kBase64Alphabet[(n >> 18) & 0x3F]);
        out.push_back(kBase64Alphabet[(n >> 12) & 0x3F]);
        out.push_back(kBase64Alphabet[(n >> 6) & 0x3F]);
        out.push_back('=');
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') {
        padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
    }
    const std::size_t data_chars = text.size() - padding;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t accumulator = 0;
    int bits = 0;
    for (std::size_t i = 0; i < data_chars; ++i) {
        const std::uint8_t value = kBase64Table[static_cast<unsigned char>(text[i])];
        if (value == kNotBase64) {
            return std::nullopt;  // includes '=' before the final padding, whitespace, '-', '_'
        }
        accumulator = (accumulator << 6) | value;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
        }
    }
    // "xx==" and "xxx=" leave 4 and 2 unused bits; they are dropped without checking that they are zero.
    return out;
}

WxCrypt::~WxCrypt() { OPENSSL_cleanse(key_.data(), key_.size()); }

boost::system::result<WxCrypt> WxCrypt::create(std::string_view encoding_aes_key, std::string receive_id) {
    if (encoding_aes_key.size() != kEncodingAesKeyChars ||
        encoding_aes_key.find_first_not_of(kEncodingAesKeyAlphabet) != std::string_view::npos) {
        return crypto_errc::illegal_aes_key;
    }
    std::string padded(encoding_aes_key);
    padded.push_back('=');
    std::optional<std::string> key = base64_decode(padded);
    OPENSSL_cleanse(padded.data(), padded.size());
    if (!key || key->size() != kKeyBytes) {
        return crypto_errc::illegal_aes_key;
    }
    WxCrypt crypt;
    std::copy(key->begin(), key->end(), crypt.key_.begin());
    OPENSSL_cleanse(key->data(), key->size());
    crypt.receive_id_ = std::move(receive_id);
    return crypt;
}

boost::system::result<Decrypted> WxCrypt::decrypt_with_receive_id(std::string_view base64_ciphertext) const {
    std::optional<std::string> decoded = base64_decode(base64_ciphertext);
    if (!decoded) {
        return crypto_errc::base64_failed;
    }
    std::string& plain = *decoded;
    if (plain.empty() || plain.size() % kPadBlock != 0) {
        return crypto_errc::illegal_buffer;
    }
    if (!aes_256_cbc_in_place(key_, plain, false)) {
        return crypto_errc::decrypt_failed;
    }

    // Strict unpadding as in silenceper/wechat (PROTOCOLS §2.3): other SDKs treat a bad pad as 0, which hides
    // a wrong key behind a confusing "illegal buffer" or garbage message.
    const std::size_t pad = static_cast<unsigned char>(plain.back());
    if (pad < 1 || pad > kPadBlock) {
        return crypto_errc::decrypt_failed;
    }
    const std::size_t unpadded = plain.size() - pad;
    for (std::size_t i = unpadded; i < plain.size(); ++i) {
        if (std::size_t{static_cast<unsigned char>(plain[i])} != pad) {
            return crypto_errc::decrypt_failed;
        }
    }
    if (unpadded < kHeaderBytes) {
        return crypto_errc::illegal_buffer;
    }
    const auto byte = [&plain](std::size_t i) -> std::uint32_t {
        return static_cast<unsigned char>(plain[i]);
    };
    const std::size_t msg_len = (byte(16) << 24) | (byte(17) << 16) | (byte(18) << 8) | byte(19);
    // 20 + msg_len <= unpadded, written so that it cannot overflow. Equality means an empty receive id, which
    // the WeCom 智能机器人 uses (silenceper's strict '<' would reject it).
    if (msg_len > unpadded - kHeaderBytes) {
        return crypto_errc::illegal_buffer;
    }
    Decrypted result;
    result.receive_id.assign(plain, kHeaderBytes + msg_len, unpadded - kHeaderBytes - msg_len);
    if (!receive_id_.empty() && result.receive_id != receive_id_) {
        return crypto_errc::receive_id_mismatch;
    }
    result.message.assign(plain, kHeaderBytes, msg_len);
    return result;
}

boost::system::result<std::string> WxCrypt::decrypt(std::string_view base64_ciphertext) const {
    boost::system::result<Decrypted> decrypted = decrypt_with_receive_id(base64_ciphertext);
    if (!decrypted) {
        return decrypted.error();
    }
    return std::move(decrypted->message);
}

std::string WxCrypt::encrypt(std::string_view message, std::string_view random16) const {
    if (random16.size() != kRandomBytes) {
        throw std::invalid_argument("WxCrypt::encrypt: the random prefix must be 16 bytes");
    }
    if (message.size() > UINT32_MAX) {
        throw std::length_error("WxCrypt::encrypt: message too long");
    }
    const std::size_t content = kHeaderBytes + message.size() + receive_id_.size();
    const std::size_t pad = kPadBlock - content % kPadBlock;  // 1..32: a full block when already aligned
    std::string plain;
    plain.reserve(content + pad);
    plain.append(random16);
    const auto msg_len = static_cast<std::uint32_t>(message.size());
    for (const int shift : {24, 16, 8, 0}) {
        plain.push_back(static_cast<char>((msg_len >> shift) & 0xFFu));
    }
    plain.append(message);
    plain.append(receive_id_);
    plain.append(pad, static_cast<char>(pad));
    if (!aes_256_cbc_in_place(key_, plain, true)) {
        throw std::runtime_error("WxCrypt::encrypt: AES encryption failed");
    }
    return base64_encode(plain);
}

std::string WxCrypt::encrypt(std::string_view message) const {
    std::array<unsigned char, kRandomBytes> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
        throw std::runtime_error("WxCrypt::encrypt: RAND_bytes failed");
    }
    return encrypt(message, std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
}

std::string render_encrypted_xml(const EncryptedEnvelope& envelope) {
    std::string out;
    out.reserve(envelope.encrypt.size() + envelope.signature.size() + envelope.timestamp.size() +
                envelope.nonce.size() + 160);
    out.append("<xml><Encrypt>");
    out.append(cdata(envelope.encrypt));
    out.append("</Encrypt><MsgSignature>");
    out.append(cdata(envelope.signature));
    out.append("</MsgSignature><TimeStamp>");
    out.append(escape_text(envelope.timestamp));
    out.append("</TimeStamp><Nonce>");
    out.append(cdata(envelope.nonce));
    out.append("</Nonce></xml>");
    return out;
}

EncryptedEnvelope seal(const WxCrypt& crypt, std::string_view token, std::string_view message,
                       std::string timestamp, std::string nonce) {
    EncryptedEnvelope envelope;
    envelope.encrypt = crypt.encrypt(message);
    envelope.signature = wx_signature({token, timestamp, nonce, envelope.encrypt});
    envelope.timestamp = std::move(timestamp);
    envelope.nonce = std::move(nonce);
    return envelope;
}

EncryptedEnvelope seal(const WxCrypt& crypt, std::string_view token, std::string_view message,
                       std::string timestamp, std::string nonce, std::string_view random16) {
    EncryptedEnvelope envelope;
    envelope.encrypt = crypt.encrypt(message, random16);
    envelope.signature = wx_signature({token, timestamp, nonce, envelope.encrypt});
    envelope.timestamp = std::move(timestamp);
    envelope.nonce = std::move(nonce);
    return envelope;
}

}  // namespace anju::adapters

std::string_view anju::ErrcTraits<anju::adapters::crypto_errc>::message(anju::adapters::crypto_errc e) {
    using anju::adapters::crypto_errc;
    switch (e) {
        case crypto_errc::bad_signature:
            return "signature does not match";
        case crypto_errc::malformed_payload:
            return "encrypted payload could not be parsed";
        case crypto_errc::illegal_aes_key:
            return "EncodingAESKey must be 43 characters of [A-Za-z0-9]";
        case crypto_errc::receive_id_mismatch:
            return "decrypted message is addressed to another AppID/CorpID";
        case crypto_errc::encrypt_failed:
            return "AES encryption failed";
        case crypto_errc::decrypt_failed:
            return "AES decryption failed or padding is invalid (wrong EncodingAESKey?)";
        case crypto_errc::illegal_buffer:
            return "ciphertext or decrypted plaintext has an invalid length";
        case crypto_errc::base64_failed:
            return "ciphertext is not valid base64";
    }
    return "unknown WeChat crypto error";
}
