#include "session/backends/storage.h"

#include "config/bindings.h"
#include "util/time.h"

namespace session {

std::string d1_datetime(double t) {
  std::string iso = timeutil::format_iso8601(t);  // YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00
  std::string date = iso.substr(0, 10), clock = iso.substr(11, 8);
  std::string micros = "000000";
  if (iso[19] == '.') micros = iso.substr(20, 6);
  return date + " " + clock + "." + micros;
}

namespace kv {

std::string key(std::string_view prefix, std::string_view session_key) {
  std::string out(prefix);
  out.append(session_key);
  return out;
}

http::Op get(std::string_view prefix, std::string_view session_key) {
  return http::Op::kv_get(std::string(config::kKvBinding), key(prefix, session_key), kKvRecordTag);
}

Found load(const std::vector<http::Loaded>& loaded) {
  const http::Loaded* kv = http::find_loaded(loaded, kKvRecordTag);
  if (!kv || kv->status == http::LoadStatus::failed || kv->status == http::LoadStatus::pending) return Found::failed();
  if (kv->status == http::LoadStatus::missing) return Found::missing();
  return Found::found(kv->value);
}

void write(std::string_view prefix, const Write& w, uint8_t put_flags, std::vector<http::Op>& out) {
  std::string name = key(prefix, w.key);
  if (w.kind == Write::Kind::remove || w.expiry_age <= 0) {
    out.push_back(http::Op::kv_delete(std::string(config::kKvBinding), std::move(name)));
    return;
  }
  int64_t ttl = w.expiry_age < kKvMinTtl ? kKvMinTtl : w.expiry_age;
  out.push_back(http::Op::kv_put(std::string(config::kKvBinding), std::move(name), w.encoded, ttl, put_flags));
}

}  // namespace kv

namespace d1 {

namespace {
constexpr std::string_view kSelect =
    "SELECT session_data FROM django_session WHERE session_key = ?1 AND expire_date > ?2";
constexpr std::string_view kInsert =
    "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?1, ?2, ?3)";
constexpr std::string_view kUpdate =
    "UPDATE django_session SET session_data = ?2, expire_date = ?3 WHERE session_key = ?1";
constexpr std::string_view kCompareAndSet =
    "UPDATE django_session SET session_data = ?2, expire_date = ?3 WHERE session_key = ?1 AND session_data = ?4";
constexpr std::string_view kDelete = "DELETE FROM django_session WHERE session_key = ?1";

http::Op statement(std::string_view sql, std::vector<http::SqlValue> params, uint8_t flags = http::op_none) {
  return http::Op::d1(std::string(config::kD1Binding), std::string(sql), std::move(params), flags);
}
}  // namespace

http::Op select(std::string_view session_key, double now) {
  return http::Op::d1(std::string(config::kD1Binding), std::string(kSelect),
                      {http::SqlValue::of(std::string(session_key)), http::SqlValue::of(d1_datetime(now))},
                      http::op_none, kD1RecordTag);
}

Found load(const std::vector<http::Loaded>& loaded) {
  const http::Loaded* row = http::find_loaded(loaded, kD1RecordTag);
  if (!row || row->status != http::LoadStatus::ok) return Found::failed();
  // D1 answers rows: none is "no such session", one must carry session_data
  // as text. Any other shape is a failed read, not a miss: treating it as one
  // would mint a new key and lose the session.
  if (row->rows.rows.empty()) return Found::missing();
  const http::SqlValue* data = row->rows.cell(0, "session_data");
  if (!data || data->type != http::SqlValue::Type::text) return Found::failed();
  return Found::found(data->text);
}

void write(const Write& w, std::vector<http::Op>& out) {
  using http::SqlValue;
  switch (w.kind) {
    case Write::Kind::remove: out.push_back(statement(kDelete, {SqlValue::of(w.key)})); return;
    case Write::Kind::create:
      out.push_back(statement(kInsert, {SqlValue::of(w.key), SqlValue::of(w.encoded),
                                        SqlValue::of(d1_datetime(w.expire_date))}));
      return;
    case Write::Kind::update:
      if (w.loaded && w.loaded->status == Found::Status::found) {
        out.push_back(statement(kCompareAndSet,
                                {SqlValue::of(w.key), SqlValue::of(w.encoded), SqlValue::of(d1_datetime(w.expire_date)),
                                 SqlValue::of(w.loaded->encoded)},
                                http::op_compare_and_set));
      } else {
        // Nothing loaded to compare with: the row must merely still exist.
        out.push_back(statement(kUpdate, {SqlValue::of(w.key), SqlValue::of(w.encoded),
                                          SqlValue::of(d1_datetime(w.expire_date))},
                                http::op_must_change));
      }
      return;
  }
}

http::Op clear_expired(double now) {
  return statement("DELETE FROM django_session WHERE expire_date < ?1", {http::SqlValue::of(d1_datetime(now))});
}

}  // namespace d1

}  // namespace session
