package shopee

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/shopee/shopeetest"
)

// Whatever an envelope says, reading its code, warning and kind of
// failure never panics.
func FuzzEnvelope(f *testing.F) {
	f.Add([]byte(`{"request_id":"r","error":"product.error_param","message":"invalid field ItemId","warning":"","response":{}}`))
	f.Add([]byte(`{"error":"error_auth","message":"Invalid access_token.","warning":["a"]}`))
	f.Add([]byte(`{"error":"error_ sign","message":"Too many requests, please try again later","warning":{"x":1}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var env envelope
		if json.Unmarshal(raw, &env) != nil {
			return
		}
		_ = env.code() + env.describe() + env.warning()
		if env.tokenInvalid() && env.Error == "" {
			t.Fatalf("no error, yet an invalid token: %s", raw)
		}
		_ = env.throttled()
	})
}

// Whatever get_item_list, get_item_base_info and get_model_list answer,
// turning it into listings never panics, and every listing has its
// fields sorted and a reference that reads back.
func FuzzItems(f *testing.F) {
	f.Add([]byte(`{"item_list":[{"item_id":34002,"item_name":"T","item_sku":"A","item_status":"NORMAL","has_model":false,"promotion_id":0,"gtin_code":"00",`+
		`"price_info":[{"currency":"SGD","original_price":11.11,"current_price":9.5}],"stock_info_v2":{"seller_stock":[{"location_id":"SGZ","stock":"90"}]}}]}`),
		[]byte(`{"model":[{"model_id":2000458802,"model_sku":"blue bag","model_status":"MODEL_UNAVAILABLE","promotion_id":7,"price_info":[{"current_price":100.0,"original_price":1e2}],"stock_info_v2":{"seller_stock":[{"stock":1},{"stock":2}]}}]}`),
		[]byte(`{"item":[{"item_id":1,"item_status":"NORMAL"}],"has_next_page":1,"next_offset":10}`))
	f.Add([]byte(`{"item_list":[{"item_id":"x","has_model":"yes"}]}`), []byte(`{"model":[{"model_id":-1}]}`), []byte(`{"has_next_page":"maybe"}`))
	c := &Channel{name: "shopee_sg", currency: "SGD", scale: 2}
	f.Fuzz(func(t *testing.T, info, models, list []byte) {
		var il itemList
		_ = json.Unmarshal(list, &il)
		for _, it := range il.Item {
			_, _ = idOf(it.ItemID)
		}
		var bi baseInfo
		var ml modelList
		_ = json.Unmarshal(models, &ml)
		if json.Unmarshal(info, &bi) != nil {
			return
		}
		for i := range bi.ItemList {
			it := &bi.ItemList[i]
			var us []unit
			if it.HasModel {
				for k := range ml.Model {
					m := &ml.Model[k]
					u := unit{sku: m.ModelSKU, model: 1, item: 1}
					if c.fill(&u, m.PromotionID, m.PriceInfo, m.StockInfoV2, bool(m.FBS)) == nil {
						us = append(us, u)
					}
				}
			} else {
				u := unit{sku: it.ItemSKU, item: 1, gtin: it.GTIN, title: it.ItemName, itemStatus: it.ItemStatus}
				if c.fill(&u, it.PromotionID, it.PriceInfo, it.StockInfoV2, bool(it.FBS)) == nil {
					us = append(us, u)
				}
			}
			for k := range us {
				l := c.listing(&us[k])
				for j := 1; j < len(l.Fields); j++ {
					if l.Fields[j-1].Name > l.Fields[j].Name {
						t.Fatalf("fields not sorted: %v", l.Fields)
					}
				}
				if item, model, err := parseRef(l.Ref); err != nil || item != us[k].item || model != us[k].model {
					t.Fatalf("ref %q does not read back", l.Ref)
				}
				if l.CompareAt.Valid && !l.CompareAt.Decimal.GreaterThan(l.Price.Decimal) {
					t.Fatalf("compare_at %v not above price %v", l.CompareAt, l.Price)
				}
			}
		}
	})
}

// Whatever update_price, update_stock or the discount calls answer, every
// model asked about gets an outcome, and nothing panics.
func FuzzWriteAnswers(f *testing.F) {
	f.Add([]byte(`{"success_list":[{"model_id":0,"original_price":11.11}],"failure_list":[{"model_id":3456,"failed_reason":"fail"}]}`),
		[]byte(`{"discount_id":1,"count":0,"error_list":[{"item_id":1008626140,"model_id":0,"fail_error":"e","fail_message":"m"}]}`))
	f.Add([]byte(`{"success_list":[{"model_id":"x"}],"failure_list":null}`), []byte(`{"error_list":[{"item_id":1}]}`))
	f.Fuzz(func(t *testing.T, update, discount []byte) {
		var ma modelAnswer
		if json.Unmarshal(update, &ma) == nil {
			models := []int64{0, 3456}
			res := ma.outcome("update_price", models, nil)
			for _, m := range models {
				if _, ok := res[m]; !ok {
					t.Fatalf("model %d has no outcome", m)
				}
			}
		}
		var da discountAnswer
		if json.Unmarshal(discount, &da) == nil {
			_ = da.outcome("add_discount_item", 1008626140, 0)
		}
	})
}

// Whatever the token file holds, opening never panics: it uses the file,
// the environment, or refuses with an error.
func FuzzTokenFile(f *testing.F) {
	f.Add([]byte(`{"partner_id":2001887,"shop_id":14701711,"access_token":"a","refresh_token":"r","expires_at":"2030-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"partner_id":1,"shop_id":2,"access_token":"a","refresh_token":"r"}`))
	f.Add([]byte(`{"expires_at":"yesterday"}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, raw []byte) {
		path := filepath.Join(dir, "tokens.json")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		c := &Channel{name: "shopee_sg"}
		cfg := Config{PartnerID: shopeetest.PartnerID, ShopID: shopeetest.ShopID, AccessToken: "env-a", RefreshToken: "env-r", TokenFile: path}
		s, err := newTokenSource(c, cfg, adapters.Setup{}.Logger())
		if err == nil && (s.access == "" || s.refreshTok == "") {
			t.Fatalf("a token source without tokens from %s", raw)
		}
	})
}
