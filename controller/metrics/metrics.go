// Package metrics is what the daemon (accord run) tells Prometheus: how
// long reconciles take and how they end, what was applied and what failed,
// the exceptions open, how fresh the last good reconcile is, and how each
// channel's request budget is faring. It holds its own registry (no global
// state): the HTTP server serves Handler at /metrics.
package metrics

import (
	"math"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accordhq/accord/adapters"
)

// Metrics are the daemon's collectors, registered in their own registry.
type Metrics struct {
	reg *prometheus.Registry

	// ReconcileDuration is how long each reconcile took, by what started
	// it (commit, resync, stock, promotion, event, start) and how it
	// ended (ok, failed, refused).
	ReconcileDuration *prometheus.HistogramVec
	// Reconciles counts reconciles by how they ended.
	Reconciles *prometheus.CounterVec
	// ChangesApplied counts changes that landed, by channel and kind
	// (quantity, price, compare_at, field, create).
	ChangesApplied *prometheus.CounterVec
	// ApplyErrors counts changes that did not, by channel and failure
	// kind (throttled, failed, rejected, unknown, submitted, not_sent).
	ApplyErrors *prometheus.CounterVec
	// ExceptionsOpen is the unresolved exceptions, by code and channel.
	ExceptionsOpen *prometheus.GaugeVec
	// Findings is the derivation's findings at the last reconcile, by
	// code and channel.
	Findings *prometheus.GaugeVec
	// LastGoodReconcile is when the last reconcile that ended well
	// finished (Unix seconds).
	LastGoodReconcile prometheus.Gauge
	// PendingChanges is the changes of the plan waiting for approval
	// (--apply drift-only), by channel.
	PendingChanges *prometheus.GaugeVec
	// Oversells counts the orders a sandbox channel accepted that its
	// warehouse could not fill.
	Oversells *prometheus.GaugeVec
	// SpecRevision is 1 for the spec revision and commit in force.
	SpecRevision *prometheus.GaugeVec
}

// New makes the collectors and registers them, with the Go runtime's and
// the process's.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		ReconcileDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "accord_reconcile_duration_seconds", Help: "How long a reconcile took, by trigger and result.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"trigger", "result"}),
		Reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_reconciles_total", Help: "Reconciles, by result.",
		}, []string{"result"}),
		ChangesApplied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_changes_applied_total", Help: "Changes that landed on a channel, by channel and kind.",
		}, []string{"channel", "kind"}),
		ApplyErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_apply_errors_total", Help: "Changes that did not land, by channel and failure kind.",
		}, []string{"channel", "kind"}),
		ExceptionsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "accord_exceptions_open", Help: "Unresolved exceptions, by code and channel.",
		}, []string{"code", "channel"}),
		Findings: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "accord_findings", Help: "The derivation's findings at the last reconcile, by code and channel.",
		}, []string{"code", "channel"}),
		LastGoodReconcile: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "accord_last_good_reconcile_timestamp_seconds", Help: "When the last reconcile that ended well finished.",
		}),
		PendingChanges: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "accord_pending_changes", Help: "Changes of the plan waiting for approval, by channel.",
		}, []string{"channel"}),
		Oversells: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "accord_sandbox_oversold_orders", Help: "Orders a sandbox channel accepted that its warehouse could not fill.",
		}, []string{"channel"}),
		SpecRevision: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "accord_spec_info", Help: "1 for the spec revision and commit in force.",
		}, []string{"revision", "commit"}),
	}
	reg.MustRegister(m.ReconcileDuration, m.Reconciles, m.ChangesApplied, m.ApplyErrors, m.ExceptionsOpen, m.Findings,
		m.LastGoodReconcile, m.PendingChanges, m.Oversells, m.SpecRevision,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchBudgets exports the channel accounts' request budgets, read at each
// scrape: requests made and refused for the rate (counters), the tokens
// left, and the share of its rate a budget runs at after throttling, by
// account and operation ("read", "write", or an operation the adapter
// paces apart).
func (m *Metrics) WatchBudgets(read func() map[string]*adapters.Budget) {
	m.reg.MustRegister(budgetCollector{read: read})
}

var (
	requestsDesc = prometheus.NewDesc("accord_channel_requests_total",
		"Requests made of a channel account, by operation.", []string{"account", "op"}, nil)
	throttlesDesc = prometheus.NewDesc("accord_channel_throttles_total",
		"Requests a channel account refused for its rate limit, by operation.", []string{"account", "op"}, nil)
	tokensDesc = prometheus.NewDesc("accord_channel_budget_tokens",
		"What is left of a channel account's request budget now, by operation.", []string{"account", "op"}, nil)
	fractionDesc = prometheus.NewDesc("accord_channel_budget_fraction",
		"The share of its rate a budget runs at: below 1 while shrunk after repeated throttling.", []string{"account", "op"}, nil)
)

type budgetCollector struct {
	read func() map[string]*adapters.Budget
}

func (c budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- requestsDesc
	ch <- throttlesDesc
	ch <- tokensDesc
	ch <- fractionDesc
}

func (c budgetCollector) Collect(ch chan<- prometheus.Metric) {
	for account, b := range c.read() {
		for op, bucket := range b.Buckets() {
			st := bucket.Stats()
			ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(st.Requests), account, op)
			ch <- prometheus.MustNewConstMetric(throttlesDesc, prometheus.CounterValue, float64(st.Throttles), account, op)
			if !math.IsInf(st.Tokens, 0) {
				ch <- prometheus.MustNewConstMetric(tokensDesc, prometheus.GaugeValue, st.Tokens, account, op)
			}
			ch <- prometheus.MustNewConstMetric(fractionDesc, prometheus.GaugeValue, st.Fraction, account, op)
		}
	}
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the metrics' registry, for tests that gather them.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveReconcile records one reconcile.
func (m *Metrics) ObserveReconcile(trigger, result string, took time.Duration, finished time.Time) {
	m.ReconcileDuration.WithLabelValues(trigger, result).Observe(took.Seconds())
	m.Reconciles.WithLabelValues(result).Inc()
	if result == "ok" {
		m.LastGoodReconcile.Set(float64(finished.UnixNano()) / 1e9)
	}
}

// Count is one label set's value, for the gauges set whole after each
// reconcile.
type Count struct {
	Labels []string
	Value  float64
}

// SetAll replaces every value of g with counts: label sets no longer
// counted disappear rather than linger at their last value.
func SetAll(g *prometheus.GaugeVec, counts []Count) {
	g.Reset()
	for _, c := range counts {
		g.WithLabelValues(c.Labels...).Set(c.Value)
	}
}
