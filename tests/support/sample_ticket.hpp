// A minimal ticket inserted straight into the store, for tests that need a ticket to hang outbox
// rows or events on without going through the ticket service.
#pragma once

#include "bot/core/clock.hpp"
#include "store/ticket_store.hpp"

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <string>

namespace anju::testing {

inline std::int64_t insert_sample_ticket(SQLite::Database& db, std::string resident, dialogs::Room room,
                                         std::string category, std::string description,
                                         tickets::Status status, Clock::time_point now) {
    tickets::Ticket t;
    t.community = "demo";
    t.resident = std::move(resident);
    t.room = std::move(room);
    t.channel = "wechat_mp";
    t.nature = dialogs::Nature::facility;
    t.category = std::move(category);
    t.description = std::move(description);
    t.department = "engineering";
    t.status = status;
    t.created_at = now;
    t.updated_at = now;
    tickets::Event first;
    first.at = now;
    first.actor = "system";
    first.kind = "filed";
    return store::insert_ticket(db, t, first, "").id;
}

}  // namespace anju::testing
