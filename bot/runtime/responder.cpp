#include "bot/runtime/responder.hpp"

#include <string>

namespace anju::runtime {
namespace {

// The first `max_chars` code points of `text`, with "…" when cut.
std::string preview(std::string_view text, std::size_t max_chars) {
    std::size_t chars = 0;
    std::size_t i = 0;
    while (i < text.size() && chars < max_chars) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t len = c < 0x80           ? 1
                                : (c >> 5) == 0x6  ? 2
                                : (c >> 4) == 0xE  ? 3
                                : (c >> 3) == 0x1E ? 4
                                                   : 1;
        i += len;
        ++chars;
    }
    if (i >= text.size()) {
        return std::string(text);
    }
    return std::string(text.substr(0, i)) + "…";
}

}  // namespace

Reply acknowledgement(const InboundMessage& m) {
    Reply reply;
    switch (m.kind) {
        case MessageKind::text:
            if (m.text.empty()) {
                reply.texts.push_back("您好，请问遇到了什么问题？直接告诉我们就好。");
            } else {
                reply.texts.push_back("您好，已收到您的消息：「" + preview(m.text, 60) +
                                      "」。我们会尽快处理，请稍候。");
            }
            break;
        case MessageKind::image:
            reply.texts.push_back("已收到您的图片，会和您的问题一并转交处理。");
            break;
        case MessageKind::voice:
            if (m.text.empty()) {
                reply.texts.push_back("已收到您的语音。为了更快处理，也可以直接用文字描述问题。");
            } else {
                reply.texts.push_back("已收到您的语音：「" + preview(m.text, 60) + "」。我们会尽快处理。");
            }
            break;
        case MessageKind::video:
            reply.texts.push_back("已收到您的视频，会和您的问题一并转交处理。");
            break;
        case MessageKind::location:
            reply.texts.push_back(m.location && !m.location->label.empty()
                                      ? "已收到您的位置：" + m.location->label + "。"
                                      : std::string("已收到您的位置。"));
            break;
        case MessageKind::link:
            reply.texts.push_back("已收到您分享的链接。");
            break;
        case MessageKind::subscribe:
        case MessageKind::scan:
            reply.texts.push_back(
                "欢迎！遇到物业问题（电梯、漏水、停电、噪音、停车、收费等），直接在这里留言即可，我们会第一时"
                "间处理。");
            break;
        case MessageKind::menu_click:
            reply.texts.push_back("请直接描述您遇到的问题，我们会第一时间处理。");
            break;
        case MessageKind::unsubscribe:
        case MessageKind::other_event:
            break;
    }
    return reply;
}

asio::awaitable<Response> Responder::wake(const std::string& /*conversation_key*/) { co_return Response{}; }

asio::awaitable<Response> Acknowledger::respond(const InboundMessage& message) {
    Response response;
    response.reply = acknowledgement(message);
    co_return response;
}

}  // namespace anju::runtime
