// Answers staff in WeCom (the work group via the 智能机器人, or the app one-to-one): each message is
// a ticket command (接单 K7M3PX, 完成 K7M3PX 已更换…, 登记 3-2-501 王先生 138… 楼道灯坏了, 帮助),
// applied by the ticket service inside the turn's transaction, so a claim and its answer commit
// together and two colleagues racing for a ticket are told exactly one of them has it.
#pragma once

#include "bot/runtime/responder.hpp"
#include "bot/runtime/ticket_service.hpp"
#include "dialogs/understand.hpp"

namespace anju::runtime {

class StaffResponder final : public Responder {
public:
    // Everything must outlive the responder. `understander` reads the complaint of a 登记.
    StaffResponder(TicketService& tickets, const dialogs::Understander& understander, Clock& clock);

    asio::awaitable<Response> respond(const InboundMessage& message) override;

private:
    Response enroll(const InboundMessage& message, const tickets::StaffCommand& command);

    TicketService& tickets_;
    const dialogs::Understander& understander_;
    Clock& clock_;
};

// Sends each message to the responder of its channel ("wechat_mp" → residents' dialog, "wecom" and
// "wecom_bot" → staff), and wake-ups to the responder of the conversation's channel.
class ChannelResponders final : public Responder {
public:
    void add(std::string channel, Responder& responder) {
        routes_.emplace_back(std::move(channel), &responder);
    }

    asio::awaitable<Response> respond(const InboundMessage& message) override;
    asio::awaitable<Response> wake(const std::string& conversation_key) override;
    void forget(const std::string& conversation_key) override;

private:
    Responder* find(std::string_view channel) const;
    std::vector<std::pair<std::string, Responder*>> routes_;
};

}  // namespace anju::runtime
