#include "adapters/common/wx_crypt.hpp"

#include "adapters/common/xml.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cctype>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace anju::adapters {
namespace {

// ---- PROTOCOLS.md §2.8 test vectors, quoted exactly ----

// V1/V2/V7: MP, WxJava test (official MP sample data).
constexpr std::string_view kV1Token = "pamtest";
constexpr std::string_view kV1Key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr std::string_view kV1AppId = "wxb11529c136998cb6";
constexpr std::string_view kV1Timestamp = "1409304348";
constexpr std::string_view kV1Nonce = "xxxxxx";
constexpr std::string_view kV1Random = "aaaabbbbccccdddd";
constexpr std::string_view kV1Message = "我是中文abcd123";
constexpr std::string_view kV1Cipher =
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==";
constexpr std::string_view kV1MsgSignature = "82c962d39941aa48552f90ef55aa323dc620cc10";  // (derived)
constexpr std::string_view kV2Message =
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></"
    "ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</"
    "CreateTime><MsgType><![CDATA[video]]></"
    "MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></"
    "MediaId><Title><![CDATA[testCallBackReplyVideo]]></"
    "Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>";
constexpr std::string_view kV2Cipher =
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+"
    "XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+"
    "IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/"
    "wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/"
    "77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+"
    "xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/"
    "slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/"
    "LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/"
    "eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb";
constexpr std::string_view kV2MsgSignature = "ea88b765074e41eb8c7a75b449db34fa2fd560d5";  // (derived)
constexpr std::string_view kV7FullPadMessage = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kV7FullPadCipher =
    "jn1L23DB+6ELqJ+6bruv24kfnRA9CJ8qXRQfcTjuspbcu/BSVDHix6RSI3nK3z+fMd03dqZ5HIPCrQNNDa2xYd47apRHAo9FEf57/"
    "GQVWffqnF3WzheksoIGmk00BgBc";
constexpr std::string_view kV7FullPadMsgSignature = "2b07674cc11d69d1eb5a852d4d239f5190949b19";
constexpr std::string_view kV7EmptyCipher =
    "jn1L23DB+6ELqJ+6bruv23MQ68ysOrxhL7CpRjZ4WZdgFqes9v8iGaaZBu9Qpe/W60xpqsYTwNjd/ZCp69l9lg==";

// V3/V4: WeCom official Python sample.
constexpr std::string_view kV3Token = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo";
constexpr std::string_view kV3Key = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
constexpr std::string_view kV3CorpId = "ww1436e0e65a779aee";
constexpr std::string_view kV3MsgSignature = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb";
constexpr std::string_view kV3Timestamp = "1476416373";
constexpr std::string_view kV3Nonce = "47744683";
constexpr std::string_view kV3EchoStr =
    "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==";
constexpr std::string_view kV4MsgSignature = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e";
constexpr std::string_view kV4Timestamp = "1476422779";
constexpr std::string_view kV4Nonce = "1597212914";
constexpr std::string_view kV4Body =
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></"
    "ToUserName>\n<Encrypt><![CDATA["
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2"
    "AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+"
    "3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0c"
    "RX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+]]></"
    "Encrypt>\n<AgentID><![CDATA[1000002]]></AgentID>\n</xml>";
constexpr std::string_view kV4Plain =
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</"
    "FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</"
    "Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>";

// V5: WeCom official C++ sample.
constexpr std::string_view kV5Token = "QDG6eK";
constexpr std::string_view kV5CorpId = "wx5823bf96d3bd56c7";
constexpr std::string_view kV5Key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
constexpr std::string_view kV5GetMsgSignature = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3";
constexpr std::string_view kV5GetTimestamp = "1409659589";
constexpr std::string_view kV5GetNonce = "263014780";
constexpr std::string_view kV5EchoStr =
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
constexpr std::string_view kV5PostMsgSignature = "477715d11cdb4164915debcba66cb864d751f3e6";
constexpr std::string_view kV5PostTimestamp = "1409659813";
constexpr std::string_view kV5PostNonce = "1372623149";
constexpr std::string_view kV5Encrypt =
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
    "sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+"
    "HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+"
    "BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/"
    "uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";

// V6: wechatpy tests/test_crypto.py (WeCom style).
constexpr std::string_view kV6Token = "123456";
constexpr std::string_view kV6Key = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
constexpr std::string_view kV6CorpId = "wx49f0ab532d5d035a";
constexpr std::string_view kV6CheckSignature = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96";
constexpr std::string_view kV6CheckTimestamp = "1411443780";
constexpr std::string_view kV6CheckNonce = "437374425";
constexpr std::string_view kV6EchoStr =
    "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==";
constexpr std::string_view kV6DecryptSignature = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d";
constexpr std::string_view kV6Timestamp = "1411525903";
constexpr std::string_view kV6Nonce = "461056294";
constexpr std::string_view kV6EncryptIn =
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/"
    "gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50q"
    "GPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/"
    "TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/"
    "54SNdshoQgWYEvccTKe7FS709/"
    "5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=";
constexpr std::string_view kV6Random = "1234567890123456";
constexpr std::string_view kV6ReplyPlain =
    "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></"
    "Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></"
    "FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</"
    "AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
constexpr std::string_view kV6EncryptOut =
    "9s4gMv99m88kKTh/"
    "H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+"
    "uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/"
    "WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/"
    "uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+"
    "mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3";
constexpr std::string_view kV6ReplySignature = "407518b7649e86ef23978113f92d27afa9296533";
// The expected reply of wechatpy's test_encrypt_message, verbatim (its template puts "\n" after each element;
// ours is the one-line §2.5 form, otherwise identical).
constexpr std::string_view kV6Envelope =
    "<xml>\n"
    "<Encrypt><![CDATA[9s4gMv99m88kKTh/"
    "H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+"
    "uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/"
    "WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/"
    "uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+"
    "mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3]]></"
    "Encrypt>\n"
    "<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature>\n"
    "<TimeStamp>1411525903</TimeStamp>\n"
    "<Nonce><![CDATA[461056294]]></Nonce>\n"
    "</xml>";

// ---- helpers ----

WxCrypt make_crypt(std::string_view key, std::string_view receive_id) {
    auto crypt = WxCrypt::create(key, std::string(receive_id));
    if (!crypt) {
        throw std::runtime_error("test key rejected: " + crypt.error().message());
    }
    return *crypt;
}

std::string without_newlines(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c != '\n') {
            out.push_back(c);
        }
    }
    return out;
}

struct CtxDeleter {
    void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};

// Raw AES-256-CBC (IV = key[0:16], no padding) with the key derived from an EncodingAESKey, independent of
// WxCrypt: builds ciphertexts with deliberately broken plaintexts and reads the pad byte of the vectors.
std::string raw_aes(std::string_view encoding_aes_key, std::string data, bool encrypt) {
    const std::optional<std::string> key = base64_decode(std::string(encoding_aes_key) + "=");
    if (!key || key->size() != 32 || data.size() % 16 != 0) {
        throw std::invalid_argument("raw_aes: bad key or length");
    }
    const auto* key_bytes = reinterpret_cast<const unsigned char*>(key->data());
    const std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
    std::string out(data.size(), '\0');
    int written = 0;
    int final_written = 0;
    auto* out_bytes = reinterpret_cast<unsigned char*>(out.data());
    if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key_bytes, key_bytes, encrypt ? 1 : 0) !=
            1 ||
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
        EVP_CipherUpdate(ctx.get(), out_bytes, &written, reinterpret_cast<const unsigned char*>(data.data()),
                         static_cast<int>(data.size())) != 1 ||
        EVP_CipherFinal_ex(ctx.get(), out_bytes + written, &final_written) != 1) {
        throw std::runtime_error("raw_aes failed");
    }
    return out;
}

// The decrypted, still padded plaintext of a base64 ciphertext.
std::string raw_plaintext(std::string_view encoding_aes_key, std::string_view base64_ciphertext) {
    return raw_aes(encoding_aes_key, base64_decode(base64_ciphertext).value(), false);
}

int pad_byte(std::string_view encoding_aes_key, std::string_view base64_ciphertext) {
    return static_cast<unsigned char>(raw_plaintext(encoding_aes_key, base64_ciphertext).back());
}

std::string be32(std::uint32_t n) {
    std::string out;
    for (const int shift : {24, 16, 8, 0}) {
        out.push_back(static_cast<char>((n >> shift) & 0xFFu));
    }
    return out;
}

// random16 || msg_len || message || receive_id, then `padding` appended verbatim.
std::string layout(std::uint32_t msg_len, std::string_view message, std::string_view receive_id,
                   std::string_view padding) {
    std::string out(kV1Random);
    out += be32(msg_len);
    out += message;
    out += receive_id;
    out += padding;
    return out;
}

// Encrypts an arbitrary plaintext (a multiple of 32 bytes) with the V1 key, bypassing WxCrypt's padding.
std::string v1_raw_ciphertext(std::string plain) {
    return base64_encode(raw_aes(kV1Key, std::move(plain), true));
}

// ---- hashing, signatures, comparisons ----

TEST(Sha1HexTest, MatchesKnownDigests) {
    EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(WxSignatureTest, MpUrlVerificationExample) {
    // PROTOCOLS §1.2, official MP doc worked example.
    EXPECT_EQ(sha1_hex("1714037059486452656AAAAA"), "899cf89e464efb63f54ddac96b0a0a235f53aa78");
    EXPECT_EQ(wx_signature({"AAAAA", "1714037059", "486452656"}), "899cf89e464efb63f54ddac96b0a0a235f53aa78");
    EXPECT_TRUE(
        check_signature("899cf89e464efb63f54ddac96b0a0a235f53aa78", {"AAAAA", "1714037059", "486452656"}));
}

TEST(WxSignatureTest, SortsByteWiseAndConcatenatesWithoutSeparator) {
    EXPECT_EQ(wx_signature({"b", "a", "\xE4\xBD\xA0", "B"}), sha1_hex("Bab\xE4\xBD\xA0"));
    EXPECT_EQ(wx_signature({"ab", "a"}), sha1_hex("aab"));
    EXPECT_EQ(wx_signature({}), sha1_hex(""));
}

TEST(WxSignatureTest, DerivedMsgSignatures) {
    EXPECT_EQ(wx_signature({kV1Token, kV1Timestamp, kV1Nonce, kV1Cipher}), kV1MsgSignature);
    EXPECT_EQ(wx_signature({kV1Token, kV1Timestamp, kV1Nonce, kV2Cipher}), kV2MsgSignature);
    EXPECT_EQ(wx_signature({kV1Token, kV1Timestamp, kV1Nonce, kV7FullPadCipher}), kV7FullPadMsgSignature);
}

TEST(WxSignatureTest, RejectsTamperedSignature) {
    const std::vector<std::string_view> parts{kV4Timestamp, kV3Token, kV4Nonce, "tampered"};
    EXPECT_EQ(check_signature(kV4MsgSignature, parts).error(), make_error_code(crypto_errc::bad_signature));

    std::string flipped(kV3MsgSignature);
    flipped[7] = flipped[7] == '0' ? '1' : '0';
    EXPECT_EQ(check_signature(flipped, {kV3Token, kV3Timestamp, kV3Nonce, kV3EchoStr}).error(),
              make_error_code(crypto_errc::bad_signature));
    EXPECT_EQ(check_signature("", {kV3Token, kV3Timestamp, kV3Nonce, kV3EchoStr}).error(),
              make_error_code(crypto_errc::bad_signature));
    std::string upper(kV3MsgSignature);
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(check_signature(upper, {kV3Token, kV3Timestamp, kV3Nonce, kV3EchoStr}).error(),
              make_error_code(crypto_errc::bad_signature));
    // `signature` (3 values) is not `msg_signature` (4 values), PROTOCOLS §7 pitfall 4.
    EXPECT_EQ(check_signature(kV3MsgSignature, {kV3Token, kV3Timestamp, kV3Nonce}).error(),
              make_error_code(crypto_errc::bad_signature));
}

TEST(ConstantTimeEqualTest, ComparesContentAndLength) {
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "ab"));
    EXPECT_FALSE(constant_time_equal("", "a"));
    EXPECT_TRUE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
    EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

// ---- base64 ----

struct Base64Case {
    std::string_view bytes;
    std::string_view text;
};

TEST(Base64Test, Rfc4648Vectors) {
    const Base64Case cases[] = {{"", ""},
                                {"f", "Zg=="},
                                {"fo", "Zm8="},
                                {"foo", "Zm9v"},
                                {"foob", "Zm9vYg=="},
                                {"fooba", "Zm9vYmE="},
                                {"foobar", "Zm9vYmFy"},
                                {"\xFB\xFF\xBF", "+/+/"}};
    for (const auto& c : cases) {
        EXPECT_EQ(base64_encode(c.bytes), c.text) << c.text;
        EXPECT_EQ(base64_decode(c.text), std::string(c.bytes)) << c.text;
    }
}

TEST(Base64Test, RoundTripsAllByteValues) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes.push_back(static_cast<char>(i));
    }
    for (std::size_t n = 0; n <= bytes.size(); n += 37) {
        const std::string_view prefix = std::string_view(bytes).substr(0, n);
        EXPECT_EQ(base64_decode(base64_encode(prefix)), std::string(prefix));
    }
}

TEST(Base64Test, RejectsInvalidText) {
    const std::string_view bad[] = {
        "Zg=",       // length not a multiple of 4
        "Zg",        // missing padding
        "Zm9vY",     // dangling character
        "Z===",      // too much padding
        "====",      // only padding
        "Zg==Zg==",  // padding in the middle
        "Zm=v",      // '=' in the middle
        "Zm9v\n",    // line break
        " Zm9",      // leading space
        "Zm 9",      // inner space
        "Zm9\t",     // tab
        "Zm-v",      // URL-safe alphabet
        "Zm_v",      // URL-safe alphabet
        "Zm*v",      // not base64 at all
        "Zm9\xC3",   // non-ASCII byte
    };
    for (const std::string_view text : bad) {
        EXPECT_FALSE(base64_decode(text).has_value()) << text;
    }
}

TEST(Base64Test, IgnoresNonZeroTrailingBits) {
    // 'R' = 010001: the low 4 bits are unused in "QR==". PROTOCOLS §2.1 "Decoder gotcha".
    EXPECT_EQ(base64_decode("QR=="), "A");
    EXPECT_EQ(base64_decode("QUJ="), "AB");
}

// ---- keys ----

TEST(WxCryptCreateTest, DecodesTheEncodingAesKey) {
    // PROTOCOLS §2.1 example; its 43rd char 'G' has non-zero low bits.
    const std::optional<std::string> key = base64_decode(std::string(kV1Key) + "=");
    ASSERT_TRUE(key.has_value());
    std::string hex;
    for (const char c : *key) {
        static constexpr std::string_view kHex = "0123456789abcdef";
        hex.push_back(kHex[static_cast<std::size_t>(static_cast<unsigned char>(c) >> 4)]);
        hex.push_back(kHex[static_cast<std::size_t>(static_cast<unsigned char>(c) & 0x0Fu)]);
    }
    EXPECT_EQ(hex, "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051");
    EXPECT_TRUE(WxCrypt::create(kV1Key, std::string(kV1AppId)));
}

TEST(WxCryptCreateTest, RejectsIllegalKeys) {
    const std::string valid(kV1Key);
    const std::string bad[] = {
        "",
        valid.substr(0, 42),
        valid + "H",
        valid + "=",
        valid.substr(0, 42) + "+",
        valid.substr(0, 42) + "/",
        valid.substr(0, 42) + "=",
        valid.substr(0, 42) + "-",
        valid.substr(0, 42) + " ",
        " " + valid.substr(0, 42),
        valid.substr(0, 41) + "\xC3\xA9",  // 43 bytes, not [A-Za-z0-9]
        std::string(43, '\0'),
    };
    for (const std::string& key : bad) {
        const auto crypt = WxCrypt::create(key, "wx");
        ASSERT_FALSE(crypt) << key;
        EXPECT_EQ(crypt.error(), make_error_code(crypto_errc::illegal_aes_key)) << key;
    }
}

// ---- vectors: decrypt ----

TEST(WxCryptVectorTest, V1DecryptsMpMessage) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    const auto decrypted = crypt.decrypt_with_receive_id(kV1Cipher);
    ASSERT_TRUE(decrypted) << decrypted.error().message();
    EXPECT_EQ(decrypted->message, kV1Message);
    EXPECT_EQ(decrypted->message.size(), 19u);
    EXPECT_EQ(decrypted->receive_id, kV1AppId);
    EXPECT_EQ(raw_plaintext(kV1Key, kV1Cipher).substr(0, 16), kV1Random);
    EXPECT_EQ(pad_byte(kV1Key, kV1Cipher), 7);
    EXPECT_EQ(crypt.decrypt(kV1Cipher).value(), kV1Message);
}

TEST(WxCryptVectorTest, V1AndV2EncryptByteForByte) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    EXPECT_EQ(crypt.encrypt(kV1Message, kV1Random), kV1Cipher);
    EXPECT_EQ(crypt.encrypt(kV2Message, kV1Random), kV2Cipher);
}

TEST(WxCryptVectorTest, V2DecryptsXmlWithCjkInCdata) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    const auto message = crypt.decrypt(kV2Cipher);
    ASSERT_TRUE(message) << message.error().message();
    EXPECT_EQ(*message, kV2Message);
    EXPECT_EQ(pad_byte(kV1Key, kV2Cipher), 7);
    const auto fields = parse_fields(*message);
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->get("ToUserName"), "oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw");
    EXPECT_EQ(fields->get("MsgType"), "video");
    EXPECT_EQ(fields->get("Video.MediaId"),
              "eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0");
    EXPECT_EQ(fields->get("Video.Title"), "testCallBackReplyVideo");
}

TEST(WxCryptVectorTest, V3WeComGetVerification) {
    EXPECT_EQ(wx_signature({kV3Token, kV3Timestamp, kV3Nonce, kV3EchoStr}), kV3MsgSignature);
    EXPECT_TRUE(check_signature(kV3MsgSignature, {kV3Token, kV3Timestamp, kV3Nonce, kV3EchoStr}));
    const WxCrypt crypt = make_crypt(kV3Key, kV3CorpId);
    const auto decrypted = crypt.decrypt_with_receive_id(kV3EchoStr);
    ASSERT_TRUE(decrypted) << decrypted.error().message();
    EXPECT_EQ(decrypted->message, "1288432023552776189");
    EXPECT_EQ(decrypted->receive_id, kV3CorpId);
    EXPECT_EQ(pad_byte(kV3Key, kV3EchoStr), 7);
}

TEST(WxCryptVectorTest, V4WeComPostWithPad22) {
    const auto body = parse_fields(kV4Body);
    ASSERT_TRUE(body);
    EXPECT_EQ(body->get("ToUserName"), kV3CorpId);
    EXPECT_EQ(body->get("AgentID"), "1000002");
    const std::string_view encrypt = body->value_or("Encrypt", "");
    EXPECT_EQ(encrypt,
              "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBh"
              "zTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+"
              "3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQH"
              "E7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/"
              "oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+");
    EXPECT_TRUE(check_signature(kV4MsgSignature, {kV3Token, kV4Timestamp, kV4Nonce, encrypt}));

    // OpenSSL's default PKCS#7-16 unpadding would reject this pad (PROTOCOLS §2.3).
    EXPECT_EQ(pad_byte(kV3Key, encrypt), 22);
    const WxCrypt crypt = make_crypt(kV3Key, kV3CorpId);
    const auto message = crypt.decrypt(encrypt);
    ASSERT_TRUE(message) << message.error().message();
    EXPECT_EQ(*message, kV4Plain);

    // The plaintext has no CDATA at all.
    const auto fields = parse_fields(*message);
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->get("FromUserName"), "ChenJiaShun");
    EXPECT_EQ(fields->get("Content"), "你好");
    EXPECT_EQ(fields->get("MsgId"), "1456453720");
    EXPECT_EQ(fields->get("AgentID"), "1000002");
}

TEST(WxCryptVectorTest, V5WeComCppSampleGetAndPost) {
    EXPECT_TRUE(check_signature(kV5GetMsgSignature, {kV5Token, kV5GetTimestamp, kV5GetNonce, kV5EchoStr}));
    const WxCrypt crypt = make_crypt(kV5Key, kV5CorpId);
    EXPECT_EQ(crypt.decrypt(kV5EchoStr).value(), "1616140317555161061");

    EXPECT_TRUE(check_signature(kV5PostMsgSignature, {kV5Token, kV5PostTimestamp, kV5PostNonce, kV5Encrypt}));
    EXPECT_EQ(pad_byte(kV5Key, kV5Encrypt), 30);
    const auto message = crypt.decrypt(kV5Encrypt);
    ASSERT_TRUE(message) << message.error().message();
    EXPECT_NE(message->find('\n'), std::string::npos);
    const auto fields = parse_fields(*message);
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->get("ToUserName"), kV5CorpId);
    EXPECT_EQ(fields->get("FromUserName"), "mycreate");
    EXPECT_EQ(fields->get("CreateTime"), "1409659813");
    EXPECT_EQ(fields->get("MsgType"), "text");
    EXPECT_EQ(fields->get("Content"), "hello");
    EXPECT_EQ(fields->get("MsgId"), "4561255354251345929");
    EXPECT_EQ(fields->get("AgentID"), "218");
}

TEST(WxCryptVectorTest, V6CheckSignatureAndEchoStr) {
    EXPECT_TRUE(check_signature(kV6CheckSignature, {kV6Token, kV6CheckTimestamp, kV6CheckNonce, kV6EchoStr}));
    EXPECT_EQ(
        check_signature(kV6CheckSignature, {kV6Token, kV6CheckTimestamp, "437374424", kV6EchoStr}).error(),
        make_error_code(crypto_errc::bad_signature));
    const WxCrypt crypt = make_crypt(kV6Key, kV6CorpId);
    EXPECT_EQ(crypt.decrypt(kV6EchoStr).value(), "5927782489442352469");
}

TEST(WxCryptVectorTest, V6DecryptMessage) {
    EXPECT_TRUE(check_signature(kV6DecryptSignature, {kV6Token, kV6Timestamp, kV6Nonce, kV6EncryptIn}));
    EXPECT_EQ(pad_byte(kV6Key, kV6EncryptIn), 1);
    const WxCrypt crypt = make_crypt(kV6Key, kV6CorpId);
    const auto decrypted = crypt.decrypt_with_receive_id(kV6EncryptIn);
    ASSERT_TRUE(decrypted) << decrypted.error().message();
    EXPECT_EQ(decrypted->receive_id, kV6CorpId);
    const auto fields = parse_fields(decrypted->message);
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->get("Content"), "test");
    EXPECT_EQ(fields->get("FromUserName"), "messense");
}

TEST(WxCryptVectorTest, V6EncryptAndEnvelopeByteForByte) {
    const WxCrypt crypt = make_crypt(kV6Key, kV6CorpId);
    EXPECT_EQ(crypt.encrypt(kV6ReplyPlain, kV6Random), kV6EncryptOut);
    EXPECT_EQ(wx_signature({kV6Token, kV6Timestamp, kV6Nonce, kV6EncryptOut}), kV6ReplySignature);

    const EncryptedEnvelope envelope =
        seal(crypt, kV6Token, kV6ReplyPlain, std::string(kV6Timestamp), std::string(kV6Nonce), kV6Random);
    EXPECT_EQ(envelope.encrypt, kV6EncryptOut);
    EXPECT_EQ(envelope.signature, kV6ReplySignature);
    EXPECT_EQ(envelope.timestamp, kV6Timestamp);
    EXPECT_EQ(envelope.nonce, kV6Nonce);
    const std::string xml = render_encrypted_xml(envelope);
    EXPECT_EQ(xml, without_newlines(kV6Envelope));

    // Same fields as wechatpy's multi-line envelope.
    const auto ours = parse_fields(xml);
    const auto theirs = parse_fields(kV6Envelope);
    ASSERT_TRUE(ours);
    ASSERT_TRUE(theirs);
    EXPECT_EQ(ours->items, theirs->items);
    EXPECT_EQ(ours->items.size(), 4u);
}

TEST(WxCryptVectorTest, V7FullBlockPadAndEmptyMessage) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    EXPECT_EQ(crypt.encrypt(kV7FullPadMessage, kV1Random), kV7FullPadCipher);
    EXPECT_EQ(raw_plaintext(kV1Key, kV7FullPadCipher).size(), 96u);
    EXPECT_EQ(pad_byte(kV1Key, kV7FullPadCipher), 32);
    EXPECT_EQ(crypt.decrypt(kV7FullPadCipher).value(), kV7FullPadMessage);

    EXPECT_EQ(crypt.encrypt("", kV1Random), kV7EmptyCipher);
    EXPECT_EQ(pad_byte(kV1Key, kV7EmptyCipher), 26);
    const auto empty = crypt.decrypt_with_receive_id(kV7EmptyCipher);
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->message, "");
    EXPECT_EQ(empty->receive_id, kV1AppId);
}

// ---- decrypt failures ----

TEST(WxCryptDecryptTest, RejectsWrongReceiveId) {
    const WxCrypt wrong_app = make_crypt(kV1Key, "wx0000000000000000");
    EXPECT_EQ(wrong_app.decrypt(kV1Cipher).error(), make_error_code(crypto_errc::receive_id_mismatch));
    // A prefix or extension of the real id is not it.
    EXPECT_EQ(make_crypt(kV1Key, "wxb11529c136998cb").decrypt(kV1Cipher).error(),
              make_error_code(crypto_errc::receive_id_mismatch));
    EXPECT_EQ(make_crypt(kV1Key, "wxb11529c136998cb66").decrypt(kV1Cipher).error(),
              make_error_code(crypto_errc::receive_id_mismatch));
    EXPECT_EQ(make_crypt(kV3Key, "ww0000").decrypt(kV3EchoStr).error(),
              make_error_code(crypto_errc::receive_id_mismatch));
}

TEST(WxCryptDecryptTest, EmptyConfiguredReceiveIdSkipsTheCheck) {
    const WxCrypt ai_bot = make_crypt(kV1Key, "");
    const auto decrypted = ai_bot.decrypt_with_receive_id(kV1Cipher);
    ASSERT_TRUE(decrypted);
    EXPECT_EQ(decrypted->message, kV1Message);
    EXPECT_EQ(decrypted->receive_id, kV1AppId);
}

TEST(WxCryptDecryptTest, AcceptsEmptyReceivedReceiveId) {
    // WeCom 智能机器人: ReceiveId is "" (PROTOCOLS §4.8), so 20 + msg_len == length is legal.
    const WxCrypt ai_bot = make_crypt(kV1Key, "");
    const std::string encrypted = ai_bot.encrypt("{\"msgtype\":\"text\"}", kV1Random);
    const auto decrypted = ai_bot.decrypt_with_receive_id(encrypted);
    ASSERT_TRUE(decrypted);
    EXPECT_EQ(decrypted->message, "{\"msgtype\":\"text\"}");
    EXPECT_EQ(decrypted->receive_id, "");

    // An exact 20-byte header with msg_len 0 and no receive id (pad 12).
    const auto bare =
        ai_bot.decrypt_with_receive_id(v1_raw_ciphertext(layout(0, "", "", std::string(12, '\x0c'))));
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->message, "");
    EXPECT_EQ(bare->receive_id, "");

    // But an app that expects its AppID refuses it.
    EXPECT_EQ(make_crypt(kV1Key, kV1AppId).decrypt(encrypted).error(),
              make_error_code(crypto_errc::receive_id_mismatch));
}

TEST(WxCryptDecryptTest, RejectsBadPadding) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    // 16 + 4 + 5 + 18 = 43 bytes of content; 21 bytes of pad make 64.
    const std::string good = layout(5, "hello", kV1AppId, std::string(21, '\x15'));
    ASSERT_EQ(good.size(), 64u);
    EXPECT_EQ(crypt.decrypt(v1_raw_ciphertext(good)).value(), "hello");

    struct PadCase {
        const char* name;
        std::string plain;
    };
    std::string inconsistent = good;
    inconsistent[43] = '\x14';  // first pad byte differs
    std::string inconsistent_middle = good;
    inconsistent_middle[60] = '\x00';
    const PadCase cases[] = {
        {"pad 0", layout(5, "hello", kV1AppId, std::string(21, '\0'))},
        {"pad 33", layout(5, "hello", kV1AppId, std::string(20, '\x21')) + std::string(1, '\x21')},
        {"pad 255", layout(5, "hello", kV1AppId, std::string(21, '\xff'))},
        {"inconsistent first pad byte", inconsistent},
        {"inconsistent middle pad byte", inconsistent_middle},
    };
    for (const auto& c : cases) {
        ASSERT_EQ(c.plain.size(), 64u) << c.name;
        EXPECT_EQ(crypt.decrypt(v1_raw_ciphertext(c.plain)).error(),
                  make_error_code(crypto_errc::decrypt_failed))
            << c.name;
    }
}

TEST(WxCryptDecryptTest, RejectsImpossibleLengths) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    struct LengthCase {
        const char* name;
        std::string plain;
    };
    const LengthCase cases[] = {
        {"msg_len beyond the buffer", layout(1000, "hello", kV1AppId, std::string(21, '\x15'))},
        {"msg_len one past the end", layout(5 + 18 + 1, "hello", kV1AppId, std::string(21, '\x15'))},
        {"msg_len 0xFFFFFFFF", layout(0xFFFFFFFFu, "hello", kV1AppId, std::string(21, '\x15'))},
        {"only padding", std::string(32, '\x20')},
        {"19 bytes before the pad", std::string(kV1Random) + "abc" + std::string(13, '\x0d')},
    };
    for (const auto& c : cases) {
        ASSERT_EQ(c.plain.size() % 32, 0u) << c.name;
        EXPECT_EQ(crypt.decrypt(v1_raw_ciphertext(c.plain)).error(),
                  make_error_code(crypto_errc::illegal_buffer))
            << c.name;
    }
}

TEST(WxCryptDecryptTest, RejectsTruncatedCiphertext) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    const std::string bytes = base64_decode(kV1Cipher).value();
    ASSERT_EQ(bytes.size(), 64u);
    for (const std::size_t size : {1u, 16u, 31u, 33u, 48u, 63u}) {
        EXPECT_EQ(crypt.decrypt(base64_encode(bytes.substr(0, size))).error(),
                  make_error_code(crypto_errc::illegal_buffer))
            << size;
    }
    // Cut by a whole block: the new last byte is plaintext ('文' ends in 0x87), not a pad.
    EXPECT_EQ(crypt.decrypt(base64_encode(bytes.substr(0, 32))).error(),
              make_error_code(crypto_errc::decrypt_failed));
    EXPECT_EQ(crypt.decrypt("").error(), make_error_code(crypto_errc::illegal_buffer));
}

TEST(WxCryptDecryptTest, RejectsBadBase64) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    const std::string cipher(kV1Cipher);
    std::string bad_char = cipher;
    bad_char[10] = '*';
    std::string space = cipher;
    space[10] = ' ';
    std::string url_safe = cipher;
    url_safe[8] = '-';  // was '+'
    const std::string cases[] = {
        bad_char,
        space,
        url_safe,
        cipher.substr(0, cipher.size() - 1),  // one '=' missing
        cipher + "=",                         // one '=' too many
        cipher.substr(0, 40) + "\n" + cipher.substr(40),
        cipher + "\n",
        " " + cipher,
        cipher.substr(0, 20) + "=" + cipher.substr(21),
    };
    for (const std::string& text : cases) {
        EXPECT_EQ(crypt.decrypt(text).error(), make_error_code(crypto_errc::base64_failed)) << text;
    }
}

TEST(WxCryptDecryptTest, WrongKeyFailsToDecrypt) {
    // The usual symptom of a wrong or rotated EncodingAESKey (PROTOCOLS §7 pitfall 5).
    const WxCrypt other_key = make_crypt(kV3Key, kV1AppId);
    EXPECT_EQ(other_key.decrypt(kV1Cipher).error(), make_error_code(crypto_errc::decrypt_failed));
}

// ---- round trips, envelopes, API properties ----

TEST(WxCryptRoundTripTest, EncryptDecrypt) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    std::string chinese;
    while (chinese.size() < 10 * 1024) {
        chinese += "业主您好，电梯今天下午维修。";
    }
    std::string binary;
    for (int i = 0; i < 300; ++i) {
        binary.push_back(static_cast<char>(i % 256));
    }
    const std::string messages[] = {"",
                                    "a",
                                    "👍🏻电梯🛗",
                                    chinese,
                                    binary,
                                    std::string(31, 'x'),
                                    std::string(32, 'x'),
                                    std::string(33, 'x')};
    for (const std::string& message : messages) {
        const std::string encrypted = crypt.encrypt(message);
        EXPECT_EQ(base64_decode(encrypted).value().size() % 32, 0u);
        const auto decrypted = crypt.decrypt_with_receive_id(encrypted);
        ASSERT_TRUE(decrypted) << decrypted.error().message();
        EXPECT_EQ(decrypted->message, message);
        EXPECT_EQ(decrypted->receive_id, kV1AppId);
    }
}

TEST(WxCryptRoundTripTest, FreshRandomnessPerCall) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    const std::string a = crypt.encrypt("same");
    const std::string b = crypt.encrypt("same");
    EXPECT_NE(a, b);
    EXPECT_EQ(crypt.decrypt(a).value(), "same");
    EXPECT_EQ(crypt.decrypt(b).value(), "same");
}

TEST(WxCryptRoundTripTest, RandomPrefixMustBe16Bytes) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    EXPECT_THROW((void)crypt.encrypt("x", "short"), std::invalid_argument);
    EXPECT_THROW((void)crypt.encrypt("x", "12345678901234567"), std::invalid_argument);
}

TEST(WxCryptRoundTripTest, CopiesAndMovesKeepWorking) {
    WxCrypt original = make_crypt(kV1Key, kV1AppId);
    const WxCrypt copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
    WxCrypt moved = std::move(original);
    EXPECT_EQ(copy.decrypt(kV1Cipher).value(), kV1Message);
    EXPECT_EQ(moved.decrypt(kV1Cipher).value(), kV1Message);
    EXPECT_EQ(moved.receive_id(), kV1AppId);
    moved = make_crypt(kV3Key, kV3CorpId);
    EXPECT_EQ(moved.decrypt(kV3EchoStr).value(), "1288432023552776189");
}

TEST(WxCryptRoundTripTest, ConcurrentUseOfOneInstance) {
    const WxCrypt crypt = make_crypt(kV1Key, kV1AppId);
    constexpr int kThreads = 4;
    constexpr int kIterations = 200;
    std::vector<int> failures(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&crypt, &failures, t] {
            for (int i = 0; i < kIterations; ++i) {
                const std::string message = "thread " + std::to_string(t) + " message " + std::to_string(i);
                const auto round_trip = crypt.decrypt(crypt.encrypt(message));
                const auto vector = crypt.decrypt(kV1Cipher);
                if (!round_trip || *round_trip != message || !vector || *vector != kV1Message) {
                    ++failures[static_cast<std::size_t>(t)];
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (const int f : failures) {
        EXPECT_EQ(f, 0);
    }
}

TEST(EnvelopeTest, SealRendersAVerifiableReply) {
    const WxCrypt crypt = make_crypt(kV3Key, kV3CorpId);
    const std::string reply = "<xml><Content><![CDATA[收到 👍]]></Content></xml>";
    const EncryptedEnvelope envelope = seal(crypt, kV3Token, reply, "1700000000", "123456789");
    EXPECT_TRUE(check_signature(envelope.signature, {kV3Token, "1700000000", "123456789", envelope.encrypt}));

    const auto fields = parse_fields(render_encrypted_xml(envelope));
    ASSERT_TRUE(fields);
    ASSERT_EQ(fields->items.size(), 4u);
    EXPECT_EQ(fields->items[0].first, "Encrypt");
    EXPECT_EQ(fields->items[1].first, "MsgSignature");
    EXPECT_EQ(fields->items[2].first, "TimeStamp");
    EXPECT_EQ(fields->items[3].first, "Nonce");
    EXPECT_EQ(fields->get("TimeStamp"), "1700000000");
    EXPECT_EQ(fields->get("Nonce"), "123456789");
    EXPECT_EQ(fields->get("MsgSignature"), envelope.signature);
    EXPECT_EQ(crypt.decrypt(fields->value_or("Encrypt", "")).value(), reply);
}

TEST(EnvelopeTest, RenderEscapesHostileValues) {
    const EncryptedEnvelope envelope{"abc", "def", "1<2&3", "n]]>o\x01"};
    const std::string xml = render_encrypted_xml(envelope);
    EXPECT_EQ(xml,
              "<xml><Encrypt><![CDATA[abc]]></Encrypt><MsgSignature><![CDATA[def]]></MsgSignature>"
              "<TimeStamp>1&lt;2&amp;3</TimeStamp><Nonce><![CDATA[n]]]]><![CDATA[>o]]></Nonce></xml>");
    const auto fields = parse_fields(xml);
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->get("TimeStamp"), "1<2&3");
    EXPECT_EQ(fields->get("Nonce"), "n]]>o");
}

TEST(CryptoErrcTest, CategoryMessagesAndOfficialCodes) {
    struct Case {
        crypto_errc e;
        int official;
    };
    const Case cases[] = {
        {crypto_errc::bad_signature, -40001},   {crypto_errc::malformed_payload, -40002},
        {crypto_errc::illegal_aes_key, -40004}, {crypto_errc::receive_id_mismatch, -40005},
        {crypto_errc::encrypt_failed, -40006},  {crypto_errc::decrypt_failed, -40007},
        {crypto_errc::illegal_buffer, -40008},  {crypto_errc::base64_failed, -40010},
    };
    for (const auto& c : cases) {
        const boost::system::error_code ec = c.e;
        EXPECT_STREQ(ec.category().name(), "anju.wx_crypt");
        EXPECT_FALSE(ec.message().empty());
        EXPECT_EQ(official_code(c.e), c.official);
    }
    EXPECT_EQ(make_error_code(crypto_errc::bad_signature).value(), 1);
}

}  // namespace
}  // namespace anju::adapters
