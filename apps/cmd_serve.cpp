// cmd_serve.cpp: `tinyad serve --model MODEL -p PORT`, the inference service
// over HTTP: the device protocol on / (windows scored into JSON verdicts),
// /healthz, /metrics, alarm debouncing, a JSON-lines event log and the live
// dashboard (/dashboard, fed with the same events over /events). Signals are
// taken synchronously (sigtimedwait) in the main thread, as in collect, so no
// work happens in a signal handler; on SIGTERM/SIGINT the server drains
// (requests under way are answered) and the event log is flushed and closed.
// With --mqtt, windows also come over MQTT (src/mqtt_bridge.h): verdicts on
// tinyad/<device>/verdict, alarm raise/clear on tinyad/<device>/alarm; on
// SIGTERM it unsubscribes and answers every window already received first.
// With --nats, windows come from a NATS JetStream cluster instead
// (src/service/nats_bridge.h, docs/fleet.md): partitions of devices leased
// among the workers, verdicts and alarms stored once and republished to MQTT.
// --learn N adds per-device baselines (device_baselines.h), kept in --baselines
// FILE by a saver thread and written a last time after the drain.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "atomic_file.h"
#include "commands.h"
#include "dashboard.h"
#include "dataset.h"
#include "device_baselines.h"
#include "http_access.h"
#include "http_server.h"
#include "server_flags.h"
#include "inference_service.h"
#include "line_log.h"
#include "model_import.h"
#include "mqtt_bridge.h"
#include "nats_bridge.h"

namespace tinyad::app {
namespace {

struct ServeArgs {
  std::string model, alarm = "3/5", events;
  ImportOptions import;  // for .npz / .h5 / .tflite models
  bool threshold_given = false;
  std::string normal;
  // --learn (per-device baselines, device_baselines.h)
  uint32_t learn = 0, calibrate = 0;
  double learn_sd = 3;
  uint32_t commission = 0;  // --commission K (docs/commissioning.md)
  std::string baselines, recipe = "default";
  std::string mqtt, mqtt_client_id;
  std::string mqtt_user, mqtt_password_file, mqtt_cafile, mqtt_cert, mqtt_key;
  std::string token_file, device_token_file;  // --token-file (alias --admin-token-file), --device-token-file
  bool open_metrics = false;
  size_t max_devices = 10000;
  double forget_after = 0;  // s without a window before a device is forgotten (0: never)
  int mqtt_workers = 0;
  std::string mqtt_partition = "0/1", mqtt_verdict = "features", ha_discovery;
  uint32_t mqtt_session_expiry = 3600;
  std::string nats, nats_worker_id;
  int nats_partitions = 16;
  int nats_replicas = 3;
  ServerFlags server;
};

// The broker's address, the user name and password (first line of
// --mqtt-password-file, or TINYAD_MQTT_PASSWORD) and the TLS files.
bool mqtt_options(const ServeArgs& a, MqttOptions* mo, std::string* err) {
  if (!mqtt_url_parse(a.mqtt, mo, err)) return false;
  MqttSecurity& s = mo->security;
  if (!a.mqtt_user.empty()) {
    if (!s.username.empty() && s.username != a.mqtt_user) {
      *err = "--mqtt-user " + a.mqtt_user + " and the user " + s.username + " in --mqtt " + a.mqtt + ": give one";
      return false;
    }
    s.username = a.mqtt_user;
  }
  if (!a.mqtt_password_file.empty()) {
    if (!read_first_line(a.mqtt_password_file, &s.password, err)) return false;
  } else if (const char* pw = std::getenv("TINYAD_MQTT_PASSWORD"); pw && *pw) {
    s.password = pw;
  }
  if (!s.password.empty() && s.username.empty()) {
    *err = "an MQTT password needs a user name: --mqtt-user USER (or --mqtt mqtt://USER@host)";
    return false;
  }
  s.cafile = a.mqtt_cafile;
  s.certfile = a.mqtt_cert;
  s.keyfile = a.mqtt_key;
  if (!mqtt_partition_parse(a.mqtt_partition, &mo->partition, &mo->partitions, err)) return false;
  if (a.mqtt_verdict != "features" && a.mqtt_verdict != "score") {
    *err = "--mqtt-verdict: expected features or score, got '" + a.mqtt_verdict + "'";
    return false;
  }
  mo->verdict_features = a.mqtt_verdict == "features";
  mo->session_expiry = a.mqtt_session_expiry;
  mo->ha_discovery_prefix = a.ha_discovery;
  if (!a.ha_discovery.empty() && a.ha_discovery.find_first_of("+#") != std::string::npos) {
    *err = "--ha-discovery: a topic prefix without + or # (Home Assistant's default is homeassistant)";
    return false;
  }
  return true;
}

// A token: the file's first line, at least 16 characters (a guessable
// token protects nothing). `what` names it in the error.
bool read_token(const std::string& path, const char* what, std::string* token, std::string* err) {
  if (!read_first_line(path, token, err)) return false;
  if (token->size() < 16) {
    *err = path + ": the " + what + " must be at least 16 characters (e.g. `openssl rand -hex 16 > " + path + "`)";
    return false;
  }
  return true;
}

// Who may do what (http_access.h) from the token files: read at start and
// again on SIGHUP (a failed re-read keeps the tokens in force).
bool read_access_policy(const ServeArgs& a, HttpAccessPolicy* p, std::string* err) {
  p->open_metrics = a.open_metrics;
  if (!a.token_file.empty() && !read_token(a.token_file, "operator token", &p->operator_token, err)) return false;
  if (!a.device_token_file.empty() && !read_token(a.device_token_file, "device token", &p->device_token, err))
    return false;
  return true;
}

// The event log's health for /metrics (Prometheus text).
std::string event_log_metrics(const LineLog& log) {
  return "# HELP tinyad_event_log_lost_lines_total Event log lines that could not be written (a full disk?).\n"
         "# TYPE tinyad_event_log_lost_lines_total counter\ntinyad_event_log_lost_lines_total " +
         std::to_string(log.failed()) +
         "\n# HELP tinyad_event_log_failing Whether the latest event log write failed.\n"
         "# TYPE tinyad_event_log_failing gauge\ntinyad_event_log_failing " + (log.failing() ? "1" : "0") + "\n";
}

// The fleet model (any file tinyad reads), or with --learn and no --model
// just the recipe the baselines use.
bool load_fleet_model(ServeArgs& a, Model* model, std::string* err) {
  if (a.model.empty() && a.commission > 0) {
    *err = "--commission needs --model (the fleet model judges a device while it commissions)";
    return false;
  }
  if (a.model.empty() && a.learn == 0) {
    *err = "--model is required (or --learn N for per-device baselines)";
    return false;
  }
  if (a.model.empty()) {
    if (recipe_named(a.recipe, &model->recipe, err)) return true;
    *err = "--recipe: " + *err;
    return false;
  }
  a.import.threshold_given = a.threshold_given;
  if (!a.normal.empty()) a.import.normal = split_list(a.normal);
  std::vector<std::string> warnings;
  if (!model_import(a.model, a.import, model, &warnings, err)) return false;
  for (const auto& w : warnings) warn(w);
  return true;
}

// --learn: the per-device baseline table (loaded from --baselines when it
// exists) in io; *note says what was set up, for the log.
// --commission K: the per-device commissioning table; needs a Mahalanobis
// fleet model (its per-feature sd scales the sd floor) and excludes --learn.
bool setup_commission(const ServeArgs& a, const Model& model, InferenceOptions* io, std::string* note,
                      std::string* err) {
  const auto* fleet = std::get_if<MahalanobisModel>(&model.detector);
  if (a.model.empty() || !fleet || fleet->covariance.rows() == 0) {
    *err = "--commission needs --model with a Mahalanobis fleet model (its feature sds scale the commissioning "
           "baseline's sd floor)";
    return false;
  }
  if (a.learn > 0) {
    *err = "--commission and --learn are two kinds of per-device baseline: give one";
    return false;
  }
  const size_t n = tinyad_recipe_n_features(&model.recipe.core);
  if (a.commission < 3) {
    *err = "--commission: at least 3 windows (the threshold comes from leave-one-out scores); 30 recommended";
    return false;
  }
  if (n > TINYAD_COMMISSION_MAX_FEATURES) {
    *err = "--commission: the recipe has " + std::to_string(n) + " features, the commissioning core holds at most " +
           std::to_string(TINYAD_COMMISSION_MAX_FEATURES);
    return false;
  }
  if (a.commission < 30) warn("--commission " + std::to_string(a.commission) + " is under 30 windows: false alarms "
                              "rise from some start points (docs/commissioning.md)");
  BaselineOptions bo;
  bo.commission = a.commission;
  for (Eigen::Index i = 0; i < fleet->covariance.rows(); ++i) bo.fleet_sd.push_back(std::sqrt(fleet->covariance(i, i)));
  io->max_devices = bo.max_devices = a.max_devices;
  io->baselines = std::make_shared<DeviceBaselines>(model.recipe, bo);
  io->fleet_model = true;
  bool existed = false;
  if (!a.baselines.empty() && !io->baselines->load(a.baselines, &existed, err)) return false;
  const auto phases = io->baselines->phase_counts();
  *note = "per-device commissioning: " + std::to_string(bo.commission) + " windows, recipe " + model.recipe.name +
          "; " +
          (existed ? std::to_string(phases[0] + phases[2]) + " devices from " + a.baselines + " (" +
                         std::to_string(phases[2]) + " monitoring)"
           : a.baselines.empty() ? "not kept (no --baselines)"
                                 : a.baselines + " is new");
  return true;
}

bool setup_baselines(const ServeArgs& a, const Model& model, InferenceOptions* io, std::string* note,
                     std::string* err) {
  if (a.commission > 0) return setup_commission(a, model, io, note, err);
  if (a.learn == 0) {
    if (a.baselines.empty()) return true;
    *err = "--baselines needs --learn N or --commission K";
    return false;
  }
  BaselineOptions bo;
  bo.learn = a.learn;
  bo.calibrate = a.calibrate > 0 ? a.calibrate : baseline_default_calibrate(a.learn);
  bo.sd = a.learn_sd;
  const size_t n = tinyad_recipe_n_features(&model.recipe.core);
  if (bo.learn <= n) {
    *err = "--learn " + std::to_string(bo.learn) + ": must exceed the recipe's " + std::to_string(n) +
           " features (" + model.recipe.name + "), or the covariance is singular";
    return false;
  }
  if (3 * size_t(bo.learn) < 4 * n) {  // measured in docs/baselines.md
    warn("--learn " + std::to_string(bo.learn) + " is under 4/3 of the recipe's " + std::to_string(n) +
         " features: the learned covariance is poor (docs/baselines.md)");
  }
  if (bo.calibrate < 2) {
    *err = "--calibrate: at least 2 windows (their sd sets the threshold)";
    return false;
  }
  if (!(bo.sd >= 0)) {
    *err = "--learn-sd: expected a number >= 0";
    return false;
  }
  io->max_devices = bo.max_devices = a.max_devices;
  io->baselines = std::make_shared<DeviceBaselines>(model.recipe, bo);
  io->fleet_model = !a.model.empty();
  bool existed = false;
  if (!a.baselines.empty() && !io->baselines->load(a.baselines, &existed, err)) return false;
  const auto phases = io->baselines->phase_counts();
  char sd_text[32];
  std::snprintf(sd_text, sizeof sd_text, "%g", bo.sd);
  *note = "per-device baselines: learn " + std::to_string(bo.learn) + ", calibrate " + std::to_string(bo.calibrate) +
          ", threshold mean+" + sd_text + "sd, recipe " + model.recipe.name + "; " +
          (existed ? std::to_string(phases[0] + phases[1] + phases[2]) + " devices from " + a.baselines + " (" +
                         std::to_string(phases[2]) + " monitoring)"
           : a.baselines.empty() ? "not kept (no --baselines)"
                                 : a.baselines + " is new");
  return true;
}

int run_serve(ServeArgs& a) {
  sigset_t stop_signals = prepare_server_process();
  // SIGHUP (re-read the token files) is blocked before any thread starts
  // too, so only the main thread's sigwaitinfo takes it.
  sigset_t wait_signals = stop_signals;
  sigaddset(&wait_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &wait_signals, nullptr);

  std::string err;
  InferenceOptions io;
  io.max_devices = a.max_devices;  // the one device table's bound (baselines and dashboard follow it)
  if (!alarm_rule_parse(a.alarm, &io.alarm, &err)) return fail(err);
  io.limits.max_readings = a.server.max_readings;
  io.limits.min_readings = a.server.min_readings;
  io.limits.max_abs_g = a.server.max_abs_g;
  io.other_paths = {"/dashboard", "/events"};  // Dashboard::handle, in front of the service
  MqttOptions mo;
  if (!a.mqtt.empty() && !mqtt_options(a, &mo, &err)) return fail(err);
  NatsOptions no;
  if (!a.nats.empty()) {
    if (!nats_urls_parse(a.nats, &no.servers, &err)) return fail(err);
    if (!a.mqtt.empty()) return fail("--nats and --mqtt: give one (devices reach a NATS cluster over its MQTT listener)");
    if (!a.baselines.empty())  // the cluster keeps each device's baseline with its answers (nats_bridge.h)
      return fail("--nats with --baselines: the cluster keeps the per-device baselines of --learn/--commission; "
                  "drop --baselines (docs/fleet.md)");
    no.partitions = a.nats_partitions;
    no.worker_id = a.nats_worker_id;
    no.replicas = a.nats_replicas;
    no.max_payload = a.server.max_body;
  }
  Model model;
  if (!load_fleet_model(a, &model, &err)) return fail(err);
  std::string baselines_note;
  if (!setup_baselines(a, model, &io, &baselines_note, &err)) return fail(err);
  auto out = std::make_shared<LineOut>(stdout, true);
  // Each event is in the file as it happens (one write per line), so a crash
  // loses none and a full disk is said at once (line_log.h).
  std::unique_ptr<LineLog> events;
  if (!a.events.empty()) {
    events = std::make_unique<LineLog>();
    if (!events->open(a.events, [out](const std::string& s) { out->line(s); }, &err))
      return fail("cannot open the event log " + err);
  }
  // The dashboard draws at most the monitor's devices (fewer by default: a
  // page of 1000 timelines is already more than a browser shows well).
  DashboardOptions dashboard_options;
  dashboard_options.max_devices = std::min(dashboard_options.max_devices, io.max_devices);
  Dashboard dashboard(DashboardInfo{a.model, detector_name(model), model.threshold.value, a.alarm}, dashboard_options);
  io.on_forget = [&dashboard](const std::string& device) { dashboard.forget(device); };
  // Every verdict and alarm goes to the event log (if any), the dashboard and MQTT.
  std::atomic<MqttBridge*> mqtt{nullptr};  // set once connected; alarms go out on it
  std::atomic<NatsBridge*> nats{nullptr};
  // The monitor calls this with none of its locks held, several devices at once.
  FleetEventSink sink = [e = events.get(), &dashboard, &mqtt, &nats, out](const FleetEvent& event) {
    if (e) e->append(event.json);
    if (event.kind != FleetEventKind::kVerdict) out->line(fleet_event_console_line(event));  // alarms on the console
    dashboard.on_event(event);
    if (MqttBridge* m = mqtt.load()) m->on_service_event(event);
    if (NatsBridge* n = nats.load()) n->on_service_event(event);
  };
  InferenceService service(std::move(model), io, sink, [out](const std::string& s) { out->line(s); });

  HttpAccessPolicy policy;
  if (!read_access_policy(a, &policy, &err)) return fail(err);
  HttpAccess access(policy);
  HttpServer server(
      server_options(a.server),
      [&service, &dashboard, &mqtt, &access, &nats, e = events.get()](const HttpRequest& r, const HttpPeer& p) {
        std::string why;
        if (std::optional<HttpResponse> refused = access.check(r, &why)) {
          service.on_rejected(p, refused->status, why);
          return std::move(*refused);
        }
        if (std::optional<HttpResponse> d = dashboard.handle(r)) return std::move(*d);
        // An event log that cannot be written (a full disk) is a sick service:
        // verdicts are answered but not kept.
        if (e && e->failing() && r.path() == "/healthz" && r.method == "GET")
          return HttpResponse::text(503, "the event log " + e->path() + " cannot be written: lines are being lost\n");
        HttpResponse res = service.handle(r, p);
        MqttBridge* m = mqtt.load();
        if (m && r.path() == "/metrics" && res.status == 200) res.body += m->metrics_text();
        if (r.path() == "/metrics" && res.status == 200) res.body += access.metrics_text();
        if (e && r.path() == "/metrics" && res.status == 200) res.body += event_log_metrics(*e);
        NatsBridge* n = nats.load();
        if (n && r.path() == "/metrics" && res.status == 200) res.body += n->metrics_text();
        return res;
      },
      [&service](const HttpPeer& p, int status, const std::string& reason) { service.on_rejected(p, status, reason); });
  if (!server.start(&err)) return fail("cannot listen on " + err);
  service.set_ready(true);
  out->line("listening on port " + std::to_string(server.port()));
  out->line(bound_line(server));
  if (!a.model.empty()) {
    out->line("serving " + a.model + " (" + detector_name(service.model()) + ", threshold " +
              std::to_string(service.model().threshold.value) + ", alarm " + a.alarm + ") until interrupted");
  } else {
    out->line("serving per-device baselines only (alarm " + a.alarm + ") until interrupted");
  }
  if (!baselines_note.empty()) out->line(baselines_note);
  std::unique_ptr<BaselineSaver> saver;
  if (!a.baselines.empty()) {
    saver = std::make_unique<BaselineSaver>(io.baselines.get(), a.baselines, 10.0,
                                            [out](const std::string& s) { out->line(s); });
  }
  out->line("live dashboard: http://" + url_host(server) + ":" + std::to_string(server.port()) + "/dashboard");
  std::unique_ptr<MqttBridge> bridge;
  std::string bridge_client_id;
  if (!a.mqtt.empty()) {
    mo.client_id = a.mqtt_client_id;
    bridge_client_id = !a.mqtt_client_id.empty() ? a.mqtt_client_id
                                                 : "tinyad-" + std::to_string(mo.partition) + "of" +
                                                       std::to_string(mo.partitions);
    mo.workers = a.mqtt_workers > 0 ? a.mqtt_workers : std::max(1, int(std::thread::hardware_concurrency()));
    mo.max_payload = a.server.max_body;
    bridge = std::make_unique<MqttBridge>(
        mo,
        [&service, features = mo.verdict_features](const std::string& device, std::string_view body,
                                                   const std::string& topic) {
          return service.monitor().process_window(device, body, device, topic, features);
        },
        [out](const std::string& s) { out->line(s); });
    // A second process of this partition took the session over: stop as on
    // SIGTERM (the main thread waits for it), exit non-zero.
    bridge->on_taken_over = [] { ::kill(::getpid(), SIGTERM); };
    mqtt = bridge.get();  // before start(): the first windows' alarms go out too
    // A broker that is not up yet is waited for (start() logs each try);
    // SIGTERM/SIGINT meanwhile ends serve cleanly.
    auto wait = [&stop_signals](double seconds) {
      const timespec ts{time_t(seconds), long((seconds - std::floor(seconds)) * 1e9)};
      siginfo_t si;
      while (::sigtimedwait(&stop_signals, &si, &ts) < 0) {
        if (errno != EINTR) return true;  // EAGAIN: the time is up
      }
      return false;
    };
    if (!bridge->start(&err, 10, wait)) {
      mqtt = nullptr;
      server.drain(0);
      if (err.empty()) {
        out->line("stopped while waiting for the MQTT broker");
        return 0;
      }
      return fail(err);
    }
  }

  std::unique_ptr<NatsBridge> nats_bridge;
  if (!a.nats.empty()) {
    nats_bridge = std::make_unique<NatsBridge>(no, &service.monitor(), [out](const std::string& s) { out->line(s); });
    nats = nats_bridge.get();
    if (!nats_bridge->start(&err)) {
      nats = nullptr;
      server.drain(0);
      return fail(err);
    }
  }

  // SIGHUP re-reads the token files; SIGINT/SIGTERM stop. With --forget-after,
  // idle devices are forgotten each second meanwhile.
  siginfo_t info;
  const timespec second{1, 0};
  for (;;) {
    if (::sigtimedwait(&wait_signals, &info, &second) < 0) {
      if (a.forget_after > 0) service.monitor().forget_idle(a.forget_after);
      continue;
    }
    if (info.si_signo != SIGHUP) break;
    HttpAccessPolicy fresh;
    if (read_access_policy(a, &fresh, &err)) {
      access.set(std::move(fresh));
      out->line("SIGHUP: token files re-read");
    } else {
      out->line("SIGHUP: " + err + ": the tokens in force stay");
    }
  }
  // MQTT first: unsubscribe, answer what was received, disconnect.
  if (bridge) bridge->stop(a.server.drain);
  mqtt = nullptr;  // alarms from HTTP windows under way no longer go out
  // NATS: finish and acknowledge the batches under way, give the partitions back.
  if (nats_bridge) nats_bridge->stop();
  nats = nullptr;
  // Windows already under way are still scored and answered (the ready
  // flag stays 1 until then: a post refused now would be a lost window).
  const bool drained = server.drain(int(std::lround(a.server.drain * 1000)));
  service.set_ready(false);
  if (!drained) out->line("stopped before every request under way was answered (--drain)");
  int status = 0;
  if (saver && !saver->stop(&err)) status = fail("cannot save the baselines: " + err);
  if (bridge && bridge->taken_over())
    status = fail("another serve process took over this MQTT partition (" + bridge_client_id +
                  "): give each process its own --mqtt-partition i/N");
  if (events && events->failed() > 0)
    status = fail("the event log " + a.events + " lost " + std::to_string(events->failed()) + " lines");
  out->line("stopped: " + std::to_string(service.windows()) + " windows scored, " +
            std::to_string(service.anomalies()) + " anomalies, " + std::to_string(service.alarms_raised()) +
            " alarms raised, " + std::to_string(service.alarms_cleared()) + " cleared, " +
            std::to_string(service.bad_requests()) + " requests refused");
  return status;
}

}  // namespace

RunFn attach_serve(CLI::App* cmd) {
  auto a = std::make_shared<ServeArgs>();
  cmd->add_option("--model", a->model,
                  "Model file: tinyad .json, or the original's .npz, a Keras .h5 or a .tflite autoencoder; with "
                  "--learn the fleet default until a device has its own baseline");
  auto* thr = cmd->add_option("--threshold", a->import.threshold,
                              "Threshold for a .npz/.h5/.tflite model (default 3.0); with --data/--normal also a "
                              "rule such as mean+3sd");
  cmd->add_option("--data", a->import.data, "Dataset to calibrate a .npz/.h5/.tflite model's threshold on");
  cmd->add_option("--normal", a->normal, "Normal label(s) in --data, comma-separated");
  cmd->add_option("--false-alarms", a->import.false_alarms,
                  "With --data/--normal: threshold flagging a normal window like those with probability P "
                  "(split-conformal, docs/thresholds.md)")
      ->check(CLI::Range(1e-9, 0.999999))
      ->excludes(thr);
  cmd->add_option("--alarm", a->alarm,
                  "k/n: raise a device's alarm when k of its last n windows are anomalous, clear it when k of "
                  "the last n are normal (default 3/5)");
  cmd->add_option("--events", a->events,
                  "Append every verdict and alarm raise/clear to this file as JSON lines, each written as it "
                  "happens (kill -9 loses none; a write error is logged at once, counted in /metrics and makes "
                  "/healthz answer 503)");
  cmd->add_option("--learn", a->learn,
                  "Per-device baselines: each device's first N windows train its own mean and covariance "
                  "(N > the recipe's feature count; see docs/baselines.md)");
  cmd->add_option("--calibrate", a->calibrate,
                  "With --learn: the next M windows set the device's threshold (default N/4, at least 16)");
  cmd->add_option("--learn-sd", a->learn_sd,
                  "With --learn: threshold = mean + K sd of the calibration scores (default 3)");
  cmd->add_option("--commission", a->commission,
                  "Per-device commissioning: each device's first K windows (after start or POST "
                  "/devices/<id>/commission) are judged by --model while they set the device's own diagonal "
                  "baseline, which then judges it (30 recommended; docs/commissioning.md)");
  cmd->add_option("--recipe", a->recipe, "With --learn and no --model: the feature recipe (default: default)");
  cmd->add_option("--baselines", a->baselines,
                  "With --learn or --commission: keep the baselines in this JSON file (loaded at start, saved on changes, every "
                  "10 s and at exit)");
  cmd->add_option("--mqtt", a->mqtt,
                  "Also take windows over MQTT from this broker (mqtt://[user@]host[:port], default port 1883; "
                  "mqtts:// for TLS, default port 8883): "
                  "tinyad/+/samples in, tinyad/<device>/verdict, /alarm and /alarm_state (retained) out, QoS 1, "
                  "tinyad/status online/offline (retained; docs/fleet.md)");
  cmd->add_option("--max-devices", a->max_devices,
                  "Most devices tracked (default 10000): ids come from clients, so the table is bounded; windows "
                  "of new devices past it get 429")
      ->check(CLI::Range(size_t(1), size_t(10000000)));
  cmd->add_option("--forget-after", a->forget_after,
                  "Forget a device (its alarm, baseline, dashboard row and table slot) after this many seconds "
                  "without a window (default 0: never); DELETE /devices/<id> forgets one at once")
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--token-file,--admin-token-file", a->token_file,
                  "The operator token (the file's first line, >= 16 characters; re-read on SIGHUP), required for "
                  "everything but the device protocol and /healthz: Authorization: Bearer TOKEN, or Basic with "
                  "the token as password (the dashboard's login prompt)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--device-token-file", a->device_token_file,
                  "Require this token (first line, >= 16 characters; re-read on SIGHUP) in the header "
                  "X-Device-Token of every window posted (firmware: TINYAD_DEVICE_TOKEN in config.h)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--open-metrics", a->open_metrics,
                "With --token-file: /metrics without the token (for a Prometheus that cannot send one)");
  cmd->add_option("--mqtt-user", a->mqtt_user, "The MQTT user name (or in the URL: mqtt://USER@host)");
  cmd->add_option("--mqtt-password-file", a->mqtt_password_file,
                  "The MQTT password: the first line of this file (or the environment variable "
                  "TINYAD_MQTT_PASSWORD); the user name is the URL's, mqtt://USER@host")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mqtt-cafile,--mqtt-ca", a->mqtt_cafile,
                  "With mqtts://: CA certificate(s) (PEM) the broker's certificate must chain to "
                  "(default: the system's, /etc/ssl/certs)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mqtt-cert", a->mqtt_cert, "With mqtts://: a client certificate (PEM), for brokers that ask")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mqtt-key", a->mqtt_key, "With --mqtt-cert: its private key (PEM)")->check(CLI::ExistingFile);
  cmd->add_option("--mqtt-client-id", a->mqtt_client_id,
                  "MQTT client id (default tinyad-<i>of<N> from --mqtt-partition): keep it across restarts, the "
                  "broker keeps windows for it in its session; one process per id (a second one takes it over "
                  "and the first exits)");
  cmd->add_option("--mqtt-partition", a->mqtt_partition,
                  "i/N: this process judges only the devices whose id hashes to i of N (FNV-1a mod N), so each "
                  "device's windows stay in one process (alarms, --learn); run one process per i (default 0/1: "
                  "every device)");
  cmd->add_option("--mqtt-session-expiry", a->mqtt_session_expiry,
                  "Seconds the broker keeps this process's session (its subscription and the windows sent "
                  "meanwhile) while it is away (default 3600; 0: a clean session each time)");
  cmd->add_option("--mqtt-verdict", a->mqtt_verdict,
                  "What an MQTT verdict carries: features (default: score, threshold, anomaly, time and the "
                  "features) or score (the same without the features: about a tenth of the size)");
  auto* ha = cmd->add_option("--ha-discovery", a->ha_discovery,
                  "Publish Home Assistant MQTT discovery configs (retained) under this prefix for each device "
                  "(usually homeassistant): an alarm binary sensor and an anomaly score sensor")
      ->expected(0, 1);
  cmd->add_option("--mqtt-workers", a->mqtt_workers, "Threads scoring MQTT windows (default: number of cores)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--nats", a->nats,
                  "Take windows from a NATS JetStream cluster instead (nats://h1:p1,h2:p2,h3:p3; port default "
                  "4222): devices publish over MQTT to any node, workers share the device partitions, each "
                  "window gets one verdict on tinyad/<device>/verdict, alarms on /alarm; the "
                  "servers need the partition mapping of docs/fleet.md; with --learn/--commission each "
                  "device's baseline is kept in the cluster with its answers and follows it to another worker");
  cmd->add_option("--nats-partitions", a->nats_partitions,
                  "With --nats: the number of device partitions, as in the servers' mapping (default 16)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--nats-replicas", a->nats_replicas,
                  "With --nats: copies of the streams, consumers and leases the first worker creates (default 3; "
                  "1 only to measure what replication costs: a dead node then loses its windows)")
      ->check(CLI::Range(1, 5));
  cmd->add_option("--nats-worker-id", a->nats_worker_id,
                  "With --nats: this worker's name in the partition leases (default <hostname>-<pid>)");
  add_server_flags(cmd, &a->server);
  return [a, thr, ha] {
    a->threshold_given = thr->count() > 0;
    if (ha->count() > 0 && a->ha_discovery.empty()) a->ha_discovery = "homeassistant";
    return run_serve(*a);
  };
}

}  // namespace tinyad::app
