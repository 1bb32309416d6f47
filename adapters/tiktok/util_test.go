package tiktok

import (
	"net/url"
	"strconv"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func encode(q map[string][]string) string { return url.Values(q).Encode() }
