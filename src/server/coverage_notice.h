/* coverage_notice.h - coverage gaps of the next hours (seats short, nobody on call) announced as events, once each. */
#ifndef BATON_SERVER_COVERAGE_NOTICE_H
#define BATON_SERVER_COVERAGE_NOTICE_H

#include <stdint.h>

#include "common/status_msg.h"
#include "server/db.h"

/*
 * In its own transaction on db (scope: every row), for the UTC hours from
 * the current one up to now + horizon_hours (at most 62 days): records
 * the gaps not yet announced in coverage_gap_notice and appends one event
 * per run of consecutive newly found hours ('coverage.gap' per queue and
 * language, 'oncall.gap' when nobody is on call in any rotation; the
 * latter only once some rotation exists). Forgets notices of hours that
 * are no longer gaps (so a gap that reopens is announced again) and those
 * older than 7 days. The notice's primary key decides which of several
 * batond instances announces a gap, so each is announced once.
 * *events is the number of events appended. BATON_OK, or the database's
 * status with the transaction rolled back.
 */
baton_status coverage_notice_announce(db_conn *db, int64_t horizon_hours, int64_t *events, status_msg *m)
    __attribute__((warn_unused_result));

#endif
