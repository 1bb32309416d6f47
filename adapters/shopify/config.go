package shopify

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/adapters"
)

// DefaultAPIVersion is the Admin API version spoken when the config names
// none: the version whose schema the tests validate every document against.
const DefaultAPIVersion = "2025-04"

// ConfigSpec is the schema of a shopify channel's config block.
var ConfigSpec = hcldec.ObjectSpec{
	"shop":           &hcldec.AttrSpec{Name: "shop", Type: cty.String, Required: true},
	"api_version":    &hcldec.AttrSpec{Name: "api_version", Type: cty.String},
	"access_token":   &hcldec.AttrSpec{Name: "access_token", Type: cty.String, Required: true},
	"location":       &hcldec.AttrSpec{Name: "location", Type: cty.String},
	"endpoint":       &hcldec.AttrSpec{Name: "endpoint", Type: cty.String},
	"webhook_secret": &hcldec.AttrSpec{Name: "webhook_secret", Type: cty.String},
}

// Config is a shopify channel's decoded config block.
type Config struct {
	// Shop is the myshopify subdomain ("northwind-audio").
	Shop string
	// APIVersion is the dated Admin API version ("2025-04").
	APIVersion string
	// Location is the location ID quantities are read and written at;
	// empty: the shop's only active location.
	Location string
	// Endpoint is the base URL requests go to: https://{shop}.myshopify.com
	// unless the config overrides it.
	Endpoint string
	// token is the access token; it never leaves this package, and
	// String never shows it.
	token string
	// webhookSecret is the app's client secret, which Shopify signs
	// webhooks with; "" takes no webhooks. Never shown either.
	webhookSecret string
}

// String shows the config without its access token.
func (c Config) String() string {
	return fmt.Sprintf("shop=%s api_version=%s location=%s endpoint=%s", c.Shop, c.APIVersion, c.Location, c.Endpoint)
}

var (
	shopName   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	apiVersion = regexp.MustCompile(`^(\d{4}-\d{2}|unstable)$`)
)

// DecodeConfig decodes a shopify config block. The access token must come
// from env(): a token written into the spec would sit in git.
func DecodeConfig(setup adapters.Setup) (Config, error) {
	cfg := Config{APIVersion: DefaultAPIVersion}
	if setup.Config == nil {
		rng := hcl.Range{}
		return cfg, &adapters.ConfigError{Channel: setup.Name, Diags: hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Missing config block",
			Detail: "A shopify channel needs a config block with shop and access_token = env(\"...\").", Subject: &rng,
		}}}
	}
	var diags hcl.Diagnostics
	attrs, _ := setup.Config.JustAttributes()
	if a, ok := attrs["access_token"]; ok && !fromEnv(a.Expr) {
		rng := a.Expr.Range()
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Access token written into the spec",
			Detail:  "access_token must come from the environment, as access_token = env(\"SHOPIFY_ACCESS_TOKEN\"), so that no secret is kept in git.",
			Subject: &rng,
		})
	}
	if a, ok := attrs["webhook_secret"]; ok && !fromEnv(a.Expr) {
		rng := a.Expr.Range()
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Webhook secret written into the spec",
			Detail:  "webhook_secret must come from the environment, as webhook_secret = env(\"SHOPIFY_WEBHOOK_SECRET\"), so that no secret is kept in git.",
			Subject: &rng,
		})
	}
	v, vd := hcldec.Decode(setup.Config, ConfigSpec, setup.Eval)
	for _, d := range vd {
		// env() of an unset variable: say which, and what it should hold.
		if i := strings.Index(d.Detail, "environment variable "); i >= 0 && strings.HasSuffix(d.Detail, " is not set.") {
			name := strings.TrimSuffix(d.Detail[i+len("environment variable "):], " is not set.")
			d.Summary = "Missing environment variable " + name
			what := "the Admin API access token of the store's custom app"
			if a, ok := attrs["webhook_secret"]; ok && d.Subject != nil && a.Expr.Range().Overlaps(*d.Subject) {
				what = "the client secret of the store's custom app, which Shopify signs webhooks with"
			}
			d.Detail = fmt.Sprintf("The environment variable %s is not set: set it to %s.", name, what)
		}
	}
	diags = append(diags, vd...)
	if diags.HasErrors() {
		return cfg, &adapters.ConfigError{Channel: setup.Name, Diags: diags}
	}
	bad := func(attr, detail string) {
		rng := setup.Config.MissingItemRange()
		if a, ok := attrs[attr]; ok {
			rng = a.Expr.Range()
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + attr, Detail: detail, Subject: &rng})
	}
	str := func(name string) string {
		if x := v.GetAttr(name); !x.IsNull() && x.IsKnown() {
			return x.AsString()
		}
		return ""
	}
	cfg.Shop = strings.TrimSuffix(str("shop"), ".myshopify.com")
	if !shopName.MatchString(cfg.Shop) {
		bad("shop", fmt.Sprintf("%q is not a myshopify subdomain: write the part before .myshopify.com, as \"northwind-audio\".", cfg.Shop))
	}
	if s := str("api_version"); s != "" {
		cfg.APIVersion = s
	}
	if !apiVersion.MatchString(cfg.APIVersion) {
		bad("api_version", fmt.Sprintf("%q is not an Admin API version: write a dated version such as %q.", cfg.APIVersion, DefaultAPIVersion))
	}
	cfg.token = str("access_token")
	if cfg.token == "" {
		bad("access_token", "The access token is empty: set the environment variable env() names.")
	}
	cfg.webhookSecret = str("webhook_secret")
	if _, set := attrs["webhook_secret"]; set && cfg.webhookSecret == "" {
		bad("webhook_secret", "The webhook secret is empty: set the environment variable env() names to the app's client secret.")
	}
	cfg.Location = str("location")
	if cfg.Location != "" && !strings.HasPrefix(cfg.Location, gidLocation) {
		if isDigits(cfg.Location) {
			cfg.Location = gidLocation + cfg.Location
		} else {
			bad("location", fmt.Sprintf("%q is not a location ID: write the number or its gid, as \"gid://shopify/Location/123\".", cfg.Location))
		}
	}
	cfg.Endpoint = "https://" + cfg.Shop + ".myshopify.com"
	if e := str("endpoint"); e != "" {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("endpoint", fmt.Sprintf("%q is not an http(s) URL.", e))
		}
		cfg.Endpoint = strings.TrimSuffix(e, "/")
	}
	if diags.HasErrors() {
		return cfg, &adapters.ConfigError{Channel: setup.Name, Diags: diags}
	}
	return cfg, nil
}

// fromEnv reports whether expr takes its value from env(): a call to it,
// or a template that interpolates one.
func fromEnv(expr hcl.Expression) bool {
	if se, ok := expr.(hclsyntax.Expression); ok {
		found := false
		_ = hclsyntax.VisitAll(se, func(n hclsyntax.Node) hcl.Diagnostics {
			if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok && fc.Name == "env" {
				found = true
			}
			return nil
		})
		return found
	}
	call, diags := hcl.ExprCall(expr)
	return !diags.HasErrors() && call.Name == "env"
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
