// anju's configuration: one immutable tree of plain structs, loaded once at start-up from a JSON
// file, overlaid with secrets from ANJU_* environment variables, and validated as a whole so that
// every problem is reported at once (file, key, what is wrong).
#pragma once

#include "bot/core/log.hpp"
#include "bot/core/secret.hpp"
#include "bot/core/units.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace boost {
struct source_location;
}

namespace anju::config {

using namespace std::chrono_literals;

struct ServiceConfig {
    std::string name = "anju";
    unsigned io_threads = 0;  // 0: one per CPU core
};

struct HttpConfig {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;
    std::size_t body_limit = 1024 * 1024;
    std::size_t header_limit = 16 * 1024;
    std::chrono::milliseconds read_timeout = 30s;   // to receive one whole request
    std::chrono::milliseconds write_timeout = 30s;  // to send one whole response
    std::chrono::milliseconds idle_timeout = 60s;   // keep-alive wait for the next request
    std::size_t max_connections = 1024;
    std::chrono::milliseconds shutdown_grace = 10s;  // in-flight requests may finish within this
};

struct StoreConfig {
    enum class Sync { normal, full };
    std::string path = "var/anju.db";  // relative to the working directory; ":memory:" for tests
    Sync synchronous = Sync::full;
    std::chrono::milliseconds busy_timeout = 5s;
};

struct HttpClientConfig {
    std::chrono::milliseconds timeout = 10s;
    std::size_t max_response_size = 8 * 1024 * 1024;
    std::string ca_file;  // extra trust anchors (PEM) on top of the system's
};

struct LogConfig {
    log::Level level = log::Level::info;
};

struct AdminConfig {
    Secret token;  // bearer token for /admin/*; empty disables the admin API
};

// One WeChat Official Account (公众号). Messages arrive at /wechat/mp/{id}.
struct WeChatTemplateConfig {
    std::string template_id;
    std::string url;  // page opened by a tap; empty for none
    // Template field → value pattern with {placeholders} filled by the sender ({code}, {time}, …).
    std::vector<std::pair<std::string, std::string>> fields;
};

struct WeChatMpConfig {
    enum class Mode { plain, compatible, safe };
    enum class TokenEndpoint { stable, classic };

    std::string id;  // [a-z0-9_-]+, the {id} in the URL and the account in every record
    std::string app_id;
    Secret app_secret;        // for the active APIs (customer-service and template messages)
    Secret token;             // the server-config Token used in signatures
    Secret encoding_aes_key;  // 43 characters; required in compatible and safe mode
    Mode mode = Mode::safe;
    std::string api_base = "https://api.weixin.qq.com";  // http:// only for loopback fakes
    TokenEndpoint token_endpoint = TokenEndpoint::stable;
    std::chrono::milliseconds reply_deadline = 3500ms;  // passive reply wait; then `success` + async send
    std::chrono::milliseconds replay_window = 5min;     // pushes with timestamps further off are refused
    std::vector<std::pair<std::string, WeChatTemplateConfig>> templates;  // by name ("progress", "survey")
};

// One WeCom (企业微信) receiving endpoint, at /wecom/{id}: a self-built app's callback ("app",
// XML, receive id = corp id) or a 智能机器人 in API mode ("aibot", JSON, receive id ""). Staff talk
// to the bot through it; the app's credentials also post to work groups (appchat) and to people.
struct WeComConfig {
    enum class Kind { app, aibot };

    std::string id;  // [a-z0-9_-]+
    Kind kind = Kind::app;
    std::string corp_id;        // the CorpID (ww…); required for "app"
    std::int64_t agent_id = 0;  // the app's AgentId; required for "app"
    Secret corp_secret;         // the app's Secret, for the active APIs (appchat, message/send)
    Secret token;               // the callback Token
    Secret encoding_aes_key;    // the callback EncodingAESKey (43 characters)
    std::string api_base = "https://qyapi.weixin.qq.com";  // http:// only for loopback fakes
    std::chrono::milliseconds replay_window = 5min;
    // Who talks to a 智能机器人: staff in work groups, or residents in owner groups (业主群).
    enum class Audience { staff, residents };
    Audience audience = Audience::staff;
};

// One `bridge` (adapters/bridge/bridge.hpp): a small program that connects owner groups (业主群) on
// any platform to anju with signed JSON webhooks. Messages arrive at /bridge/{id}; answers and
// notices are posted to `outbound_url`.
struct BridgeConfig {
    std::string id;            // [a-z0-9_-]+
    Secret secret;             // the shared HMAC-SHA256 key, both directions
    std::string outbound_url;  // where anju posts into groups; empty: answers only in the response
    std::chrono::milliseconds replay_window = 5min;     // requests with timestamps further off are refused
    std::chrono::milliseconds reply_deadline = 3000ms;  // answer in the response if ready by then
};

// The web chat (bot/runtime/webchat_channel.hpp): residents in a browser at /chat, over a WebSocket
// at /chat/ws, answered exactly as on the Official Account.
struct WebChatConfig {
    bool enabled = false;
    std::size_t max_text = 2000;  // characters in one message from the page
    // Origins (scheme://host[:port]) whose pages may connect; empty: only pages served by anju itself
    // (same host and port); "*": any.
    std::vector<std::string> allowed_origins{};
};

struct ChannelsConfig {
    std::vector<WeChatMpConfig> wechat_mp;
    std::vector<WeComConfig> wecom;
    std::vector<BridgeConfig> bridge;
    WebChatConfig webchat;
};

// ---- tickets (issue 5): communities, staff, routing, deadlines ----

// A member of staff: who they are in WeCom and what they may do.
struct StaffConfig {
    std::string userid;                  // WeCom userid
    std::string name;                    // "张工", shown to residents and colleagues
    std::vector<std::string> roles;      // cs, engineering, order, butler, supervisor, quality, pm
    std::vector<std::string> buildings;  // a butler's / supervisor's buildings ("3", "12"); empty: all
    std::string phone;                   // told to residents on claim when set
    bool on_duty = false;                // @-mentioned on emergencies of their department
};

// Where a department's tickets are posted: an app group chat (appchat, needs the app's secret) or
// a group robot webhook (send only).
struct WorkGroupConfig {
    std::string department;  // cs, engineering, order, butler, pm, quality, all
    std::string wecom;       // the channels.wecom id whose app sends (appchat)
    std::string chatid;      // appchat chatid
    Secret robot_key;        // or a group robot's webhook key
    bool web = false;        // or the demo work group page (/workgroup) in a browser, for trying anju
                             // without WeCom: staff pick who they are and type commands there
};

struct ElevatorAsset {
    std::string building;
    std::string unit;
    std::string number;  // "2" for 2号梯
    std::string brand;
    std::string model;
    std::string last_maintenance;  // YYYY-MM-DD
};

// Working days: Monday to Friday, minus holidays, plus adjusted working weekend days (调休).
struct CalendarConfig {
    std::vector<std::string> holidays;  // YYYY-MM-DD
    std::vector<std::string> workdays;  // YYYY-MM-DD weekend days that are working days
};

// An owner group (业主群) of a community that the bot is in: through a bridge or a WeCom
// 智能机器人. Listed groups receive rectification announcements for their buildings; a WeCom group
// needs a robot key for notices the bot posts on its own (the 智能机器人 can only answer).
struct OwnerGroupConfig {
    std::string channel;                 // "bridge" or "wecom"
    std::string account;                 // the channels.bridge / channels.wecom id
    std::string chat;                    // the group's id on that platform (bridge group id, WeCom chatid)
    std::string name;                    // "3栋业主群"
    std::vector<std::string> buildings;  // buildings whose residents are in it; empty: the whole community
    Secret robot_key;                    // WeCom only: a group robot in the same group, for notices
};

// One community (小区/项目) of the property company.
struct CommunityConfig {
    std::string id;
    std::string name;
    std::vector<std::string> buildings;  // building numbers of this community; empty: any (one community)
    std::vector<StaffConfig> staff;
    std::vector<WorkGroupConfig> groups;
    std::vector<ElevatorAsset> elevators;
    CalendarConfig calendar;
    std::vector<OwnerGroupConfig> owner_groups;
};

// After a deadline passes unmet: the assignee is told at once, the area supervisor after
// `supervisor`, the project manager after `pm` (both counted from the breach).
struct EscalationLadder {
    Duration supervisor;
    Duration pm;
    friend bool operator==(const EscalationLadder&, const EscalationLadder&) = default;
};

struct TicketsConfig {
    bool enabled = false;  // the config has a "tickets" section
    // nature → department, and category → department where it differs from its nature's.
    std::vector<std::pair<std::string, std::string>> route_nature = {
        {"service", "butler"}, {"facility", "engineering"}, {"fee", "cs"}, {"order", "order"}};
    std::vector<std::pair<std::string, std::string>> route_category;
    int utc_offset_minutes = 8 * 60;  // the communities' local time (Asia/Shanghai)
    // Deadlines (DOMAIN.md): on site for emergencies, a plan for the rest.
    std::chrono::milliseconds emergency_on_site = 15min;
    std::chrono::milliseconds order_immediate_on_site = 5min;
    Duration normal_plan{0ms, 2};
    Duration engineering_plan{24h, 0};
    Duration difficult_plan{0ms, 5};
    Duration start_within{0ms, 1};                    // the department starts within this
    std::chrono::milliseconds transfer_contact = 1h;  // a new handler contacts the resident within this
    std::chrono::milliseconds confirm_timeout =
        72h;                   // no answer to "已解决吗？" → closed as confirmed (auto)
    int group_threshold = 20;  // households → a group complaint (群体性投诉)
    std::chrono::milliseconds group_window = 24h;
    // Time (issue 6): claim windows, warnings, the escalation ladder, the daily push, rectification.
    std::chrono::milliseconds emergency_claim = 5min;  // an emergency is claimed within this
    int warn_at_percent = 80;                          // pre-breach warning at this share (0: none)
    EscalationLadder escalation_emergency{{5min, 0}, {15min, 0}};
    EscalationLadder escalation_normal{{2h, 0}, {0ms, 1}};
    EscalationLadder escalation_difficult{{0ms, 1}, {0ms, 2}};
    bool daily_push = true;                   // progress to residents once a day
    std::string daily_push_at = "18:00";      // local time of the daily push
    Duration rectification_answer{0ms, 3};    // a department answers a rectification order within this
    std::string monthly_report_at = "08:00";  // local time on the 1st when last month's report is due
    std::vector<CommunityConfig> communities;
};

// The dialog engine's configuration (issue 4): lexicons for understanding, one clarification flow
// per category, and the texts the bot says. Loaded from the folder `dialogs.dir` (relative to the
// main config file): understanding.json, replies.json, traditional.json and flows/*.json.
struct DialogsSettings {
    bool enabled = false;                            // the config has a "dialogs" section
    std::string dir = "dialogs";                     // relative to the main config file's folder
    std::chrono::milliseconds expire_after = 30min;  // an unfinished dialog is dropped after this
    int max_attempts = 2;                            // re-asks of one question before handing over
};

struct WeightedTerm {
    std::string text;
    double weight = 1;
};

struct CategoryLexicon {
    std::string name;    // "elevator"
    std::string nature;  // "service" | "facility" | "fee" | "order"
    std::string label;   // "电梯", for replies
    std::vector<WeightedTerm> terms;
    std::vector<std::string> exclude;  // phrases that cancel a term match around them ("电梯广告")
};

struct UnderstandingConfig {
    std::vector<CategoryLexicon> categories;
    // Emergency cue groups by kind ("trapped", "burst_pipe", "electric", "fire", "gas", "lift_danger").
    std::vector<std::pair<std::string, std::vector<std::string>>> emergency;
    // Cues that make an order-type problem an emergency happening now, by category.
    std::vector<std::pair<std::string, std::vector<std::string>>> immediate;
    std::vector<std::string> trapped_none;  // "里面没人": trapped = no
    std::vector<std::string> negations;
    std::vector<std::string> hedges;
    std::vector<std::string> resolved;  // "已经好了": a past problem, not an emergency now
    std::vector<std::string> difficult;
    std::vector<std::string> unsolved;      // "还没修": the reported problem is still open
    std::vector<std::string> background;    // "上次", "之前": a past problem mentioned as background
    std::vector<std::string> hypothetical;  // "万一", "怎么办": a question about a danger, not a report
    std::vector<std::string> harmless;      // "抽烟", "演习": the alarming word is not a danger here
    // Words that make a message a complaint. A question or a thank-you without any of them
    // ("请问物业费怎么交", "停水通知看到了，谢谢") is not a complaint, whatever topic it names.
    std::vector<std::string> complaint_markers;
    int difficult_months = 3;       // "反映了3个月了": a problem this old is long-standing
    std::vector<std::string> past;  // "昨晚": an order problem that happened before is not happening now
    std::vector<std::string> now;   // "现在", "还在": … unless it still is
    std::vector<std::string> expectation_markers;
    std::vector<std::string> connectives;  // "还有", "另外": a second problem may follow
    std::vector<std::string> yes;
    std::vector<std::string> no;
    std::vector<std::string> unknown;  // "不知道", "不清楚": an answer that says it is not known
    std::vector<std::pair<std::string, std::vector<std::string>>> commands;  // cancel, edit, change_room, …
    std::vector<std::pair<std::string, std::vector<std::string>>> smalltalk;  // greeting, thanks, …
    std::vector<std::pair<std::string, std::vector<std::string>>> places;     // home, public
    std::vector<std::pair<std::string, std::vector<std::string>>> times;      // 半夜, 昨天晚上, …
    std::vector<std::pair<std::string, std::string>> traditional;             // 電 → 电
};

struct SlotFlow {
    std::string name;      // "elevator", "trapped", "symptom", "location", …
    std::string type;      // building_unit | room | elevator | floor | yes_no | text | place | phone | time
    std::string question;  // asked when the slot is missing
    std::string say;       // how the restatement says it: "{value}号梯"; yes_no: "say_yes|say_no"
    bool required = true;
    bool from_room = false;  // building_unit: the resident's own room answers it unless they say otherwise
};

struct FlowConfig {
    std::string category;
    std::string room = "optional";  // "required": a home problem, the resident's room is needed
    std::vector<SlotFlow> slots;
    std::vector<std::string> emergency_slots;  // all an emergency waits for before dispatch
    std::string acknowledgement;               // the empathetic first sentence
    std::string restatement;  // "您是说{location}{elevator}…，希望{expectation}，对吗？"
    std::string default_expectation;
    std::string safety_advice;  // said with an emergency dispatch
};

struct DialogsConfig {
    DialogsSettings settings;
    UnderstandingConfig understanding;
    std::vector<FlowConfig> flows;
    std::vector<std::pair<std::string, std::string>> replies;  // message id → text with {placeholders}
    std::vector<std::string> sources;                          // files read, for messages
};

// The outbox dispatchers (bot/runtime/outbox.hpp): retries and the platforms' rate limits.
struct OutboxRatesConfig {
    int robot_per_minute = 20;           // WeCom group robot: per robot (PROTOCOLS §4.7)
    int app_per_member_per_minute = 30;  // WeCom app messages: per member (§4.5; excess dropped silently)
    int appchat_per_minute = 200;        // WeCom appchat: per group chat (§4.6)
    int wechat_mp_per_second = 200;      // WeChat customer-service and template messages: per account
    int owner_group_per_minute = 20;     // posts into one owner group (bridge or WeCom), like a group robot
};

struct OutboxConfig {
    std::chrono::milliseconds poll = 30s;         // look for due messages at least this often
    std::chrono::milliseconds first_retry = 30s;  // delay after a first failure, doubling …
    std::chrono::milliseconds max_retry = 1h;     // … up to this
    int max_attempts = 10;                        // then the message is given up
    int concurrency = 4;                          // sends at once per channel (to different recipients)
    OutboxRatesConfig rates;
};

// The monthly complaint analysis (bot/reports): what counts as a hotspot and as a repeat complainant.
struct ReportsConfig {
    int hotspot_min = 3;    // tickets in a month about one building + category (or one elevator)
    int repeat_min = 3;     // tickets from one room within repeat_months
    int repeat_months = 3;  // the window for repeat complainants, ending with the report's month
};

struct Config {
    std::string source;     // the file it came from
    std::string effective;  // the config as loaded, defaults filled in, secrets redacted (pretty JSON)
    ServiceConfig service;
    HttpConfig http;
    StoreConfig store;
    HttpClientConfig http_client;
    LogConfig log;
    AdminConfig admin;
    ChannelsConfig channels;
    DialogsConfig dialogs;
    TicketsConfig tickets;
    OutboxConfig outbox;
    ReportsConfig reports;
};

// One thing wrong with a config: where and what.
struct Problem {
    std::string file;
    std::string key;  // "http.port"; empty for whole-file problems (unreadable, invalid JSON)
    std::string message;

    // "config/anju.json: http.port: must be between 1 and 65535 (got 70000)"
    std::string to_string() const;
    friend bool operator==(const Problem&, const Problem&) = default;
};

struct Problems {
    std::vector<Problem> items;
};
[[noreturn]] void throw_exception_from_error(const Problems& problems, const boost::source_location& loc);

// Environment variables the loader may read (secrets named ANJU_<KEY_PATH>, e.g. ANJU_ADMIN_TOKEN).
using Env = std::map<std::string, std::string, std::less<>>;

// The ANJU_* variables of this process.
Env process_env();

// Reads, parses and validates a config file. Returns every problem found. Never throws on bad input.
boost::system::result<Config, Problems> load_config(const std::string& path, const Env& env);

// The same, from text already in memory; `source` names it in problems.
boost::system::result<Config, Problems> parse_config(std::string_view text, const std::string& source,
                                                     const Env& env);

// Loads the dialog files of `dir` (understanding.json, traditional.json, replies.json, flows/*.json)
// into `dialogs`, keeping its settings. Every problem names its file and key. Never throws on bad
// input. load_config calls it when the config has a "dialogs" section.
boost::system::result<void, Problems> load_dialogs(const std::string& dir, DialogsConfig& dialogs);

// Every key the loader understands, as dotted paths ("http.port"), sorted.
std::vector<std::string> known_keys();

// The name of the environment variable that overrides a secret key: "admin.token" → "ANJU_ADMIN_TOKEN".
std::string env_name(std::string_view key_path);

}  // namespace anju::config
