package format

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// LayoutUnix is the TimeLayout value for Unix seconds (an integer, or a
// decimal with a fraction).
const LayoutUnix = "unix"

// autoLayouts are the time layouts tried, in order, on the first row's time
// when LogOptions.TimeLayout is empty. Day-first forms come before any
// month-first one: "01/02/2006" (US, month first) is never auto-detected,
// because "03/04/2011" reads both ways; ask for it with TimeLayout.
var autoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	layoutYMD,
	"2/1/2006 15:04:05",
	"2/1/2006 15:04",
	"2/1/2006",
	"2-1-2006 15:04:05",
	"2-1-2006 15:04",
	"2-1-2006",
}

// layoutYMD is the layout of eight-digit dates, yyyymmdd (CDNOW's). It is
// detected only for a valid date within 1970–2200, so that it is never
// mistaken for a day-first or month-first date (whose last four digits
// would be a year below 1232) and takes precedence over Unix seconds
// (eight digits there are a time before March 1973).
const layoutYMD = "20060102"

// minTime and maxTime bound the dates a log may hold: a time outside
// [1970-01-01, 2200-01-01) is almost always a misread layout or a unit
// mix-up.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// detectLayout returns the first of autoLayouts that parses s, or
// LayoutUnix when s is a number.
func detectLayout(s string, loc *time.Location) (string, error) {
	for _, l := range autoLayouts {
		t, err := time.ParseInLocation(l, s, loc)
		if err == nil && (l != layoutYMD || !t.Before(minTime) && t.Before(maxTime)) {
			return l, nil
		}
	}
	if _, err := parseUnix(s); err == nil {
		return LayoutUnix, nil
	}
	return "", fmt.Errorf("cannot detect the time layout of %s: set LogOptions.TimeLayout", quote(s))
}

func parseUnix(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(s, "eExXpP") {
		return time.Time{}, fmt.Errorf("not Unix seconds %s", quote(s))
	}
	sec, frac := math.Modf(f)
	if sec < -1e13 || sec > 1e13 {
		return time.Time{}, fmt.Errorf("unix seconds %s out of range", quote(s))
	}
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// parseTime reads s in layout and checks the result's range.
func parseTime(s, layout string, loc *time.Location) (time.Time, string) {
	var t time.Time
	var err error
	if layout == LayoutUnix {
		t, err = parseUnix(s)
	} else {
		t, err = time.ParseInLocation(layout, s, loc)
	}
	if err != nil {
		return time.Time{}, fmt.Sprintf("not a time in layout %q: %s", layout, quote(s))
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, fmt.Sprintf("time %s outside 1970–2200", quote(s))
	}
	return t, ""
}

// parseNumber reads a finite decimal number; empty, NaN and infinite values
// are rejected with a reason.
func parseNumber(s string) (float64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "empty number"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, "not a number " + quote(s)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, "not a finite number " + quote(s)
	}
	return f, ""
}
