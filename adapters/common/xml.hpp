// Safe reading and writing of WeChat-style XML (<xml><Field><![CDATA[…]]></Field>…</xml>) for MP and WeCom
// webhooks: flat field extraction with pugixml, DTD/entity refusal, size caps, CDATA escaping.
#pragma once

#include "bot/core/error.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anju::adapters {

enum class xml_errc {
    malformed = 1,  // not well-formed, empty, no or several root elements, text outside the root
    forbidden_dtd,  // contains a DOCTYPE / ENTITY (or other <!…> declaration); never expanded
    too_large,      // over kMaxXmlBytes, kMaxXmlElements or kMaxXmlDepth
};

boost::system::error_code make_error_code(xml_errc e) noexcept;

// Limits of parse_fields. A WeChat push has ~10-20 elements, depth <= 4 (news replies:
// xml/Articles/item/Title).
inline constexpr std::size_t kMaxXmlBytes = 1024 * 1024;
inline constexpr std::size_t kMaxXmlElements = 1000;  // including the root
inline constexpr std::size_t kMaxXmlDepth = 8;        // the root is depth 1

// The fields of a document: every leaf element below the root (an element without child elements), in
// document order, as (path, text). The path is relative to the root, dotted for nested elements:
// <xml><Video><MediaId>m</MediaId></Video></xml> gives ("Video.MediaId", "m"). Container elements contribute
// only through their leaves; attributes, comments and processing instructions are ignored.
struct XmlFields {
    std::vector<std::pair<std::string, std::string>> items;

    // Text of the first item named `name`; nullopt if there is none. The view points into `items`.
    std::optional<std::string_view> get(std::string_view name) const;
    // Text of the first item named `name`, or `fallback` if there is none (a present empty element is "").
    std::string_view value_or(std::string_view name, std::string_view fallback) const;
};

// Parses a WeChat-style XML document (UTF-8). The root element may have any name. An element's text is the
// concatenation of its direct PCDATA and CDATA children, with entities and character references decoded and
// whitespace kept as is (no trimming). Repeated paths keep every occurrence, in order.
// The bytes are always read as UTF-8 (a BOM is skipped; an encoding declaration is ignored).
// Robustness (the document is untrusted; this never throws except std::bad_alloc):
// - Any "<!" declaration outside CDATA and comments (DOCTYPE, ENTITY, …) → xml_errc::forbidden_dtd; nothing
//   is ever expanded or fetched.
// - Characters illegal in XML 1.0 (C0 controls other than \t \n \r, U+FFFE, U+FFFF — WeChat forwards user
//   text containing e.g. \x1d, PROTOCOLS §7 pitfall 8) are removed, in raw text and from character
//   references.
// - Ill-formed UTF-8 is replaced by U+FFFD (one per maximal subpart), so every returned name and value is
//   valid UTF-8 and safe to hand to a JSON serializer.
// - Over kMaxXmlBytes / kMaxXmlElements / kMaxXmlDepth → xml_errc::too_large; not well-formed, empty, or not
//   exactly one root element → xml_errc::malformed.
// Thread-safe.
[[nodiscard]] boost::system::result<XmlFields> parse_fields(std::string_view document);

// `text` with characters illegal in XML 1.0 removed (see parse_fields) and ill-formed UTF-8 replaced by
// U+FFFD. The result is valid UTF-8 and legal XML character data. Thread-safe.
std::string strip_xml_illegal(std::string_view text);

// A CDATA section holding `text`: "<![CDATA[" + text + "]]>", with strip_xml_illegal applied and every "]]>"
// split as "]]]]><![CDATA[>" so that parsing it yields `strip_xml_illegal(text)` exactly. Thread-safe.
std::string cdata(std::string_view text);

// `text` escaped for element content or a quoted attribute (& < > " '), after strip_xml_illegal.
std::string escape_text(std::string_view text);

}  // namespace anju::adapters

template <>
struct anju::ErrcTraits<anju::adapters::xml_errc> {
    static constexpr const char* name = "anju.xml";
    static std::string_view message(anju::adapters::xml_errc e);
};

template <>
struct boost::system::is_error_code_enum<anju::adapters::xml_errc> : std::true_type {};
