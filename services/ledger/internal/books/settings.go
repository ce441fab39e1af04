package books

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/o2c-platform/o2c/libs/tax"
)

// TenantSettings is one tenant's ledger configuration as written in the
// settings file (LEDGER_SETTINGS):
//
//	{
//	  "default": {"chart": "SKR03"},
//	  "tenants": {
//	    "acme": {
//	      "chart": "SKR03",                     // or "SKR04"
//	      "account_length": 4,                  // DATEV Sachkontenlänge 4-8; debtors get one digit more
//	      "accounts": {"revenue-19": "8401"},   // logical account -> the merchant's own number
//	      "banks": {"DE02120300000000202051": "1200"},
//	      "clearing": {"amazon": "1361", "paypal": "1362"},
//	      "marketplaces": {"amazon.de/EUR": "69001"},
//	      "period_actors": ["finance:anna"],    // who may close and reopen periods
//	      "allocation_order": "bgb",            // "bgb" (§366/§367, default), "due-date", "document-date"
//	      "tax": [                              // tax treatments beyond the German defaults (tax.Setting)
//	        {"country": "AT", "rate_bp": 2000, "treatment": "OSS", "output_vat": "output-vat-oss-at"}
//	      ]
//	    }
//	  }
//	}
//
// A tenant not listed gets "default". Every logical account a tenant's tax
// table names must resolve in its chart ("accounts" maps new names such as
// "output-vat-oss-at" to numbers). Ingestion reads the "tax" sections of the
// same file (tax.LoadTables), so it accepts exactly the tax treatments the
// ledger can book.
type TenantSettings struct {
	Chart           string            `json:"chart"`
	AccountLength   int               `json:"account_length"`
	Accounts        map[string]string `json:"accounts"`
	Banks           map[string]string `json:"banks"`
	Clearing        map[string]string `json:"clearing"`
	Marketplaces    map[string]string `json:"marketplaces"`
	PeriodActors    []string          `json:"period_actors"`
	AllocationOrder string            `json:"allocation_order"`
	Tax             []tax.Setting     `json:"tax"`
}

// Settings is the whole settings file.
type Settings struct {
	Default TenantSettings            `json:"default"`
	Tenants map[string]TenantSettings `json:"tenants"`
}

// Config turns one tenant's settings into the domain's configuration.
func (t TenantSettings) Config() (Config, error) {
	var c Config
	switch t.Chart {
	case "", "SKR03":
		c.Chart.Standard = SKR03
	case "SKR04":
		c.Chart.Standard = SKR04
	default:
		return c, fmt.Errorf("chart %q: want SKR03 or SKR04", t.Chart)
	}
	if t.AccountLength != 0 && (t.AccountLength < 4 || t.AccountLength > 8) {
		return c, fmt.Errorf("account_length %d: want 4 to 8", t.AccountLength)
	}
	c.Chart.AccountLength = t.AccountLength
	if len(t.Accounts) > 0 {
		c.Chart.Accounts = map[Logical]string{}
		for k, v := range t.Accounts {
			c.Chart.Accounts[Logical(k)] = v
		}
	}
	c.Chart.Banks, c.Chart.Clearing, c.Chart.Marketplaces = t.Banks, t.Clearing, t.Marketplaces
	table, err := tax.TableOf(t.Tax)
	if err != nil {
		return c, err
	}
	for _, l := range table.Logicals() {
		if _, err := c.Chart.Account(Logical(l)); err != nil {
			return c, fmt.Errorf("tax: %w (name its number under \"accounts\")", err)
		}
	}
	c.Chart.Tax = table
	c.PeriodActors = t.PeriodActors
	switch t.AllocationOrder {
	case "", "bgb":
		c.Order = OrderBGB
	case "due-date":
		c.Order = OrderDueDate
	case "document-date":
		c.Order = OrderDocumentDate
	default:
		return c, fmt.Errorf("allocation_order %q: want bgb, due-date or document-date", t.AllocationOrder)
	}
	return c, nil
}

// LoadSettings reads a settings file and returns the function Options.Books
// wants. Every tenant's settings are checked before the service starts.
func LoadSettings(r io.Reader) (func(tenant string) Config, error) {
	var s Settings
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("ledger settings: %w", err)
	}
	def, err := s.Default.Config()
	if err != nil {
		return nil, fmt.Errorf("ledger settings: default: %w", err)
	}
	names := make([]string, 0, len(s.Tenants))
	for name := range s.Tenants {
		names = append(names, name)
	}
	sort.Strings(names)
	configs := make(map[string]Config, len(names))
	for _, name := range names {
		c, err := s.Tenants[name].Config()
		if err != nil {
			return nil, fmt.Errorf("ledger settings: tenant %s: %w", name, err)
		}
		configs[name] = c
	}
	return func(tenant string) Config {
		if c, ok := configs[tenant]; ok {
			return c
		}
		return def
	}, nil
}

// LoadSettingsFile is LoadSettings on the file at path.
func LoadSettingsFile(path string) (func(tenant string) Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ledger settings: %w", err)
	}
	defer f.Close()
	return LoadSettings(f)
}
