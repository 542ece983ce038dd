#include "bot/runtime/staff_responder.hpp"

#include "bot/tickets/commands.hpp"

namespace anju::runtime {

StaffResponder::StaffResponder(TicketService& tickets, const dialogs::Understander& understander,
                               Clock& clock)
    : tickets_(tickets), understander_(understander), clock_(clock) {}

asio::awaitable<Response> StaffResponder::respond(const InboundMessage& message) {
    Response response;
    if (message.kind == MessageKind::other_event || message.kind == MessageKind::unsubscribe) {
        co_return response;
    }
    if (message.kind != MessageKind::text && message.kind != MessageKind::voice &&
        message.kind != MessageKind::menu_click) {
        response.reply.texts.push_back("请用文字指令操作工单，发送「帮助」查看全部指令。");
        co_return response;
    }
    const auto command = tickets::parse_staff_command(message.text);
    if (command.verb == tickets::StaffCommand::Verb::enroll && !command.room.empty() &&
        !command.arg.empty()) {
        co_return enroll(message, command);
    }
    response.persist = [this, command, userid = message.sender, now = clock_.now()](SQLite::Database& db,
                                                                                    Reply& reply) {
        reply.texts = {tickets_.staff_command(db, command, userid, now)};
    };
    co_return response;
}

Response StaffResponder::enroll(const InboundMessage& message, const tickets::StaffCommand& command) {
    Response response;
    const auto room = understander_.read_room(understander_.normalize(command.room));
    if (room.room.empty() && room.building.empty()) {
        response.reply.texts.push_back(
            "没能识别房号「" + command.room +
            "」，格式：登记 房号 姓名 电话 内容，例如「登记 3-2-501 王先生 13800001111 "
            "楼道灯坏了」");
        return response;
    }
    const auto understood = understander_.understand(command.arg);
    dialogs::ComplaintDraft draft;
    draft.room = room;
    draft.description = command.arg;
    draft.expectation = understood.expectation;
    draft.confirmed = true;
    if (const auto* main = understood.main()) {
        draft.nature = main->nature;
        draft.category = main->category;
        draft.urgency = main->urgency;
        draft.slots = main->slots;
        draft.evidence = main->evidence;
    } else {
        draft.slots = understood.slots;
    }
    draft.slots.erase("building");
    draft.slots.erase("unit");
    draft.slots.erase("room");
    response.persist = [this, draft, command, userid = message.sender, source = "wecom:" + message.dedupe_key,
                        now = clock_.now()](SQLite::Database& db, Reply& reply) {
        if (tickets_.directory().staff(userid) == nullptr) {
            reply.texts = {"您不在本物业的员工名单中，无法登记工单。"};
            return;
        }
        const auto filed = tickets_.file(db, draft, "", "wecom", source, now, command.name, command.phone);
        const auto& t = filed.ticket;
        std::string text = filed.duplicate
                               ? "该房号已有同类工单 " + t.code + " 在处理中，已补充进去。"
                               : "已登记工单 " + t.code + "（" + t.room.display() + "，" +
                                     tickets_.category_label(t) + "），已派给" +
                                     std::string(TicketService::department_label(t.department)) + "。";
        if (!filed.group_code.empty()) {
            text += "已并入群体投诉 " + filed.group_code + "。";
        }
        reply.texts = {text};
    };
    return response;
}

Responder* ChannelResponders::find(std::string_view channel) const {
    for (const auto& [name, responder] : routes_) {
        if (name == channel) {
            return responder;
        }
    }
    return nullptr;
}

asio::awaitable<Response> ChannelResponders::respond(const InboundMessage& message) {
    if (auto* r = find(message.channel)) {
        co_return co_await r->respond(message);
    }
    co_return Response{};
}

asio::awaitable<Response> ChannelResponders::wake(const std::string& conversation_key) {
    if (auto* r = find(std::string_view(conversation_key).substr(0, conversation_key.find('/')))) {
        co_return co_await r->wake(conversation_key);
    }
    co_return Response{};
}

void ChannelResponders::forget(const std::string& conversation_key) {
    if (auto* r = find(std::string_view(conversation_key).substr(0, conversation_key.find('/')))) {
        r->forget(conversation_key);
    }
}

}  // namespace anju::runtime
