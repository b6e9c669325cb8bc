/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The core's counters and their names. Any thread. */
#include "core/stats.h"

atomic_ullong kr_stats[KR_STAT__COUNT];

static const char *const names[KR_STAT__COUNT] = {
    [KR_STAT_RCV_REQUESTS] = "core.rcv_requests",
    [KR_STAT_RCV_REQ_INVITE] = "core.rcv_requests_invite",
    [KR_STAT_RCV_REQ_ACK] = "core.rcv_requests_ack",
    [KR_STAT_RCV_REQ_CANCEL] = "core.rcv_requests_cancel",
    [KR_STAT_RCV_REQ_BYE] = "core.rcv_requests_bye",
    [KR_STAT_RCV_REQ_REGISTER] = "core.rcv_requests_register",
    [KR_STAT_RCV_REQ_OPTIONS] = "core.rcv_requests_options",
    [KR_STAT_RCV_REQ_INFO] = "core.rcv_requests_info",
    [KR_STAT_RCV_REQ_UPDATE] = "core.rcv_requests_update",
    [KR_STAT_RCV_REQ_PRACK] = "core.rcv_requests_prack",
    [KR_STAT_RCV_REQ_SUBSCRIBE] = "core.rcv_requests_subscribe",
    [KR_STAT_RCV_REQ_NOTIFY] = "core.rcv_requests_notify",
    [KR_STAT_RCV_REQ_PUBLISH] = "core.rcv_requests_publish",
    [KR_STAT_RCV_REQ_MESSAGE] = "core.rcv_requests_message",
    [KR_STAT_RCV_REQ_REFER] = "core.rcv_requests_refer",
    [KR_STAT_RCV_REQ_OTHER] = "core.rcv_requests_other",
    [KR_STAT_RCV_REPLIES] = "core.rcv_replies",
    [KR_STAT_RCV_REPL_1XX] = "core.rcv_replies_1xx",
    [KR_STAT_RCV_REPL_2XX] = "core.rcv_replies_2xx",
    [KR_STAT_RCV_REPL_3XX] = "core.rcv_replies_3xx",
    [KR_STAT_RCV_REPL_4XX] = "core.rcv_replies_4xx",
    [KR_STAT_RCV_REPL_5XX] = "core.rcv_replies_5xx",
    [KR_STAT_RCV_REPL_6XX] = "core.rcv_replies_6xx",
    [KR_STAT_SENT_REPLIES] = "sl.sent_replies",
    [KR_STAT_FWD_REQUESTS] = "core.fwd_requests",
    [KR_STAT_FWD_REPLIES] = "core.fwd_replies",
    [KR_STAT_DROP_REQUESTS] = "core.drop_requests",
    [KR_STAT_DROP_REPLIES] = "core.drop_replies",
    [KR_STAT_ERR_REQUESTS] = "core.err_requests",
    [KR_STAT_ERR_REPLIES] = "core.err_replies",
    [KR_STAT_PARSE_ERRORS] = "core.bad_msg_hdr",
    [KR_STAT_UDP_RCV_DROPS] = "core.udp_rcv_drops",
    [KR_STAT_SEND_ERRORS] = "core.send_errors",
    [KR_STAT_TCP_CONNECTIONS] = "tcp.current_opened_connections",
    [KR_STAT_TCP_ACCEPTED] = "tcp.passive_opens",
    [KR_STAT_TCP_CONNECTED] = "tcp.active_opens",
    [KR_STAT_TCP_REFUSED] = "tcp.refused",
    [KR_STAT_TCP_TIMEOUTS] = "tcp.timeouts",
    [KR_STAT_TCP_SENDQ_FULL] = "tcp.sendq_full",
    [KR_STAT_MSRP_RCV_SEND] = "msrp.rcv_send",
    [KR_STAT_MSRP_RCV_REPORT] = "msrp.rcv_report",
    [KR_STAT_MSRP_RCV_AUTH] = "msrp.rcv_auth",
    [KR_STAT_MSRP_RCV_NICKNAME] = "msrp.rcv_nickname",
    [KR_STAT_MSRP_RCV_OTHER] = "msrp.rcv_other",
    [KR_STAT_MSRP_RCV_RESPONSES] = "msrp.rcv_responses",
    [KR_STAT_MSRP_FWD_SEND] = "msrp.fwd_send",
    [KR_STAT_MSRP_FWD_REPORT] = "msrp.fwd_report",
    [KR_STAT_MSRP_FWD_AUTH] = "msrp.fwd_auth",
    [KR_STAT_MSRP_FWD_NICKNAME] = "msrp.fwd_nickname",
    [KR_STAT_MSRP_FWD_OTHER] = "msrp.fwd_other",
    [KR_STAT_MSRP_FWD_RESPONSES] = "msrp.fwd_responses",
    [KR_STAT_MSRP_BYTES_RELAYED] = "msrp.bytes_relayed",
    [KR_STAT_MSRP_AUTH_OK] = "msrp.auth_ok",
    [KR_STAT_MSRP_AUTH_FAILED] = "msrp.auth_failed",
    [KR_STAT_MSRP_SESSIONS] = "msrp.active_sessions",
    [KR_STAT_MSRP_REPORTS] = "msrp.reports_generated",
    [KR_STAT_MSRP_ERRORS] = "msrp.error_responses",
    [KR_STAT_MSRP_BAD_FRAMES] = "msrp.bad_frames",
};

const char *kr_stat_name(enum kr_stat s)
{
    return (s >= 0 && s < KR_STAT__COUNT && names[s]) ? names[s] : "unknown";
}

int kr_stat_is_gauge(enum kr_stat s)
{
    return s == KR_STAT_TCP_CONNECTIONS || s == KR_STAT_MSRP_SESSIONS;
}
