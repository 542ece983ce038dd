#include "adapters/common/xml.hpp"

#include "bot/core/text.hpp"

#include <pugixml.hpp>

#include <charconv>
#include <cstdint>
#include <system_error>

namespace anju::adapters {

boost::system::error_code make_error_code(xml_errc e) noexcept { return make_errc_code(e); }

namespace {

// XML 1.0 §2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. Surrogates
// cannot come out of a valid UTF-8 decode; append_utf8 never produces them either.
bool is_xml_char(char32_t c) noexcept {
    if (c < 0x20) {
        return c == 0x09 || c == 0x0A || c == 0x0D;
    }
    return c != 0xFFFE && c != 0xFFFF && c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF);
}

bool is_xml_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_blank(std::string_view text) noexcept {
    for (const char c : text) {
        if (!is_xml_space(c)) {
            return false;
        }
    }
    return true;
}

// True if the document holds a "<!" markup declaration other than a comment or a CDATA section: DOCTYPE,
// ENTITY, ELEMENT, ATTLIST, NOTATION, conditional sections. Checked on the raw text, before pugixml sees it,
// so refusal does not depend on how the parser treats DTDs. CDATA and comments are skipped because user text
// inside them may legitimately contain "<!DOCTYPE". An unterminated CDATA/comment is left to the parser.
bool has_markup_declaration(std::string_view doc) noexcept {
    constexpr std::string_view kComment = "<!--";
    constexpr std::string_view kCdata = "<![CDATA[";
    std::size_t pos = 0;
    while ((pos = doc.find("<!", pos)) != std::string_view::npos) {
        const std::string_view rest = doc.substr(pos);
        std::string_view terminator;
        std::size_t body = 0;
        if (rest.starts_with(kComment)) {
            terminator = "-->";
            body = pos + kComment.size();
        } else if (rest.starts_with(kCdata)) {
            terminator = "]]>";
            body = pos + kCdata.size();
        } else {
            return true;
        }
        const std::size_t end = doc.find(terminator, body);
        if (end == std::string_view::npos) {
            return false;
        }
        pos = end + terminator.size();
    }
    return false;
}

// Appends the PCDATA `raw` (parsed without pugi::parse_escapes) with the five predefined entities and numeric
// character references decoded. A reference to an XML-illegal character (&#0;, &#x1d;, &#xD800;, …) is
// dropped — decoding it ourselves is what keeps a &#0; from truncating the value inside pugixml. Anything
// else that starts with '&' (unknown entity, no ';') is kept literally, as pugixml would.
void append_unescaped(std::string& out, std::string_view raw) {
    constexpr std::size_t kMaxReference = 12;  // "&#x0010FFFF;"
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const std::size_t amp = raw.find('&', pos);
        if (amp == std::string_view::npos) {
            out.append(raw.substr(pos));
            return;
        }
        out.append(raw.substr(pos, amp - pos));
        const std::size_t semi = raw.substr(amp, kMaxReference).find(';');
        if (semi == std::string_view::npos) {
            out.push_back('&');
            pos = amp + 1;
            continue;
        }
        const std::string_view name = raw.substr(amp + 1, semi - 1);
        pos = amp + semi + 1;
        if (name == "lt") {
            out.push_back('<');
        } else if (name == "gt") {
            out.push_back('>');
        } else if (name == "amp") {
            out.push_back('&');
        } else if (name == "quot") {
            out.push_back('"');
        } else if (name == "apos") {
            out.push_back('\'');
        } else if (name.size() >= 2 && name[0] == '#') {
            const bool hex = name[1] == 'x';
            const std::string_view digits = name.substr(hex ? 2 : 1);
            std::uint32_t value = 0;
            const auto [end, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
            if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
                out.append(raw.substr(amp, semi + 1));  // not a reference after all: keep the text
            } else if (is_xml_char(value)) {
                append_utf8(out, value);
            }
        } else {
            out.append(raw.substr(amp, semi + 1));
        }
    }
}

// Text of a leaf element: its PCDATA (unescaped) and CDATA (verbatim) children, concatenated.
std::string element_text(const pugi::xml_node& element) {
    std::string text;
    for (const pugi::xml_node& child : element.children()) {
        if (child.type() == pugi::node_pcdata) {
            append_unescaped(text, child.value());
        } else if (child.type() == pugi::node_cdata) {
            text.append(child.value());
        }
    }
    return text;
}

class FieldCollector {
public:
    explicit FieldCollector(XmlFields& fields) : fields_(fields) {}

    // Adds the leaves below `parent` (at `depth`) with paths under `prefix`. Recursion is bounded by
    // kMaxXmlDepth. Returns false once a limit is exceeded.
    bool collect(const pugi::xml_node& parent, const std::string& prefix, std::size_t depth) {
        for (const pugi::xml_node& child : parent.children()) {
            if (child.type() != pugi::node_element) {
                continue;
            }
            if (++elements_ > kMaxXmlElements || depth + 1 > kMaxXmlDepth) {
                return false;
            }
            std::string path = prefix.empty() ? std::string(child.name()) : prefix + "." + child.name();
            if (child.find_child([](const pugi::xml_node& n) { return n.type() == pugi::node_element; })) {
                if (!collect(child, path, depth + 1)) {
                    return false;
                }
            } else {
                fields_.items.emplace_back(std::move(path), element_text(child));
            }
        }
        return true;
    }

private:
    XmlFields& fields_;
    std::size_t elements_ = 1;  // the root
};

}  // namespace

std::optional<std::string_view> XmlFields::get(std::string_view name) const {
    for (const auto& [key, value] : items) {
        if (key == name) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

std::string_view XmlFields::value_or(std::string_view name, std::string_view fallback) const {
    return get(name).value_or(fallback);
}

boost::system::result<XmlFields> parse_fields(std::string_view document) {
    if (document.size() > kMaxXmlBytes) {
        return xml_errc::too_large;
    }
    // Our own mutable copy: cleaned of illegal characters (which also removes NUL bytes, which would end
    // pugixml's parse early) and parsed in place.
    std::string buffer = strip_xml_illegal(document);
    if (has_markup_declaration(buffer)) {
        return xml_errc::forbidden_dtd;
    }

    // No parse_escapes (see append_unescaped), no comments/PIs/declaration nodes. parse_fragment keeps text
    // outside the root so that it can be refused; parse_doctype is a second line of defence against DTDs.
    constexpr unsigned kOptions = pugi::parse_cdata | pugi::parse_eol | pugi::parse_ws_pcdata |
                                  pugi::parse_fragment | pugi::parse_doctype;
    pugi::xml_document doc;
    const pugi::xml_parse_result parsed =
        doc.load_buffer_inplace(buffer.data(), buffer.size(), kOptions, pugi::encoding_utf8);
    if (parsed.status == pugi::status_bad_doctype) {
        return xml_errc::forbidden_dtd;
    }
    if (parsed.status == pugi::status_out_of_memory) {
        return xml_errc::too_large;
    }
    if (!parsed) {
        return xml_errc::malformed;
    }

    pugi::xml_node root;
    for (const pugi::xml_node& node : doc.children()) {
        switch (node.type()) {
            case pugi::node_element:
                if (root) {
                    return xml_errc::malformed;  // a second root element
                }
                root = node;
                break;
            case pugi::node_doctype:
                return xml_errc::forbidden_dtd;
            case pugi::node_pcdata:
                if (!is_blank(node.value())) {
                    return xml_errc::malformed;
                }
                break;
            default:
                return xml_errc::malformed;  // CDATA outside the root
        }
    }
    if (!root) {
        return xml_errc::malformed;
    }

    XmlFields fields;
    FieldCollector collector(fields);
    if (!collector.collect(root, std::string(), 1)) {
        return xml_errc::too_large;
    }
    return fields;
}

std::string strip_xml_illegal(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t clean_from = 0;  // start of the pending run of good bytes, copied in one go
    for (std::size_t pos = 0; pos < text.size();) {
        const Utf8Char c = decode_utf8_at(text, pos);
        if (!c.valid || !is_xml_char(c.code_point)) {
            out.append(text.substr(clean_from, pos - clean_from));
            if (!c.valid) {
                append_utf8(out, c.code_point);  // U+FFFD
            }
            clean_from = pos + c.length;
        }
        pos += c.length;
    }
    out.append(text.substr(clean_from));
    return out;
}

std::string cdata(std::string_view text) {
    constexpr std::string_view kEnd = "]]>";
    const std::string clean = strip_xml_illegal(text);
    const std::string_view rest_all(clean);
    std::string out;
    out.reserve(clean.size() + 12);
    out.append("<![CDATA[");
    std::size_t pos = 0;
    for (std::size_t end = rest_all.find(kEnd); end != std::string_view::npos;
         end = rest_all.find(kEnd, pos)) {
        // Close the section between "]]" and ">" and reopen it: "]]>" becomes "]]]]><![CDATA[>".
        out.append(rest_all.substr(pos, end + 2 - pos));
        out.append("]]><![CDATA[");
        pos = end + 2;
    }
    out.append(rest_all.substr(pos));
    out.append("]]>");
    return out;
}

std::string escape_text(std::string_view text) {
    const std::string clean = strip_xml_illegal(text);
    std::string out;
    out.reserve(clean.size());
    for (const char c : clean) {
        switch (c) {
            case '&':
                out.append("&amp;");
                break;
            case '<':
                out.append("&lt;");
                break;
            case '>':
                out.append("&gt;");
                break;
            case '"':
                out.append("&quot;");
                break;
            case '\'':
                out.append("&apos;");
                break;
            default:
                out.push_back(c);
                break;
        }
    }
    return out;
}

}  // namespace anju::adapters

std::string_view anju::ErrcTraits<anju::adapters::xml_errc>::message(anju::adapters::xml_errc e) {
    using anju::adapters::xml_errc;
    switch (e) {
        case xml_errc::malformed:
            return "XML document is malformed or empty";
        case xml_errc::forbidden_dtd:
            return "XML document contains a DOCTYPE or entity declaration, which is not allowed";
        case xml_errc::too_large:
            return "XML document exceeds the size, element count or nesting limit";
    }
    return "unknown XML error";
}
