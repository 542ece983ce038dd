# Run as `cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DNAME=<name under web/> -DIDENT=<c identifier>
# -P embed_asset.cmake`: writes a C++ source defining `anju::assets::generated::<IDENT>`, an Asset with
# the file's bytes, its Content-Type (from the extension) and an ETag (SHA-256 of the content).
# Plain CMake, so the build needs no xxd or other tool.
foreach(var INPUT OUTPUT NAME IDENT)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "embed_asset.cmake: -D${var}=... is required")
    endif()
endforeach()

file(READ "${INPUT}" hex HEX)
file(SIZE "${INPUT}" size)
file(SHA256 "${INPUT}" sha)
string(SUBSTRING "${sha}" 0 32 sha)

# Every byte as a \xHH escape inside a string literal: constexpr, no casts, and each escape ends at
# the next backslash, so a following hex digit is never swallowed. 24 bytes per line (CMake's regex
# has no {n}, hence the repeated group).
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${hex}")
string(REPEAT "\\\\x[0-9a-f][0-9a-f]" 24 line)
string(REGEX REPLACE "(${line})" "\\1\n" escaped "${escaped}")
string(REGEX REPLACE "\n$" "" escaped "${escaped}")
string(REPLACE "\n" "\"\n    \"" escaped "${escaped}")

string(TOLOWER "${NAME}" lower)
set(type "application/octet-stream")
if(lower MATCHES "\\.html?$")
    set(type "text/html; charset=utf-8")
elseif(lower MATCHES "\\.m?js$")
    set(type "text/javascript; charset=utf-8")
elseif(lower MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
elseif(lower MATCHES "\\.svg$")
    set(type "image/svg+xml; charset=utf-8")
elseif(lower MATCHES "\\.png$")
    set(type "image/png")
elseif(lower MATCHES "\\.json$")
    set(type "application/json; charset=utf-8")
elseif(lower MATCHES "\\.ico$")
    set(type "image/x-icon")
elseif(lower MATCHES "\\.txt$")
    set(type "text/plain; charset=utf-8")
endif()

set(content "// Generated from bot/assets/web/${NAME} by bot/assets/embed_asset.cmake; do not edit.
#include \"bot/assets/assets.hpp\"

namespace anju::assets::generated {

extern const Asset ${IDENT};
constinit const Asset ${IDENT}{
    std::string_view{
    \"${escaped}\",
        ${size}},
    \"${type}\", \"\\\"${sha}\\\"\"};

}  // namespace anju::assets::generated
")
# Rewrite only on change, so touching a file without changing it does not recompile.
if(EXISTS "${OUTPUT}")
    file(READ "${OUTPUT}" old)
    if(old STREQUAL content)
        return()
    endif()
endif()
file(WRITE "${OUTPUT}" "${content}")
