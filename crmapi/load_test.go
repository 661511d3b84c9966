package crmapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/jobs"
)

func TestLoad(t *testing.T) {
	m1, m2 := loadedModels(t)
	for _, m := range []*Model{m1, m2} {
		if m.Items() == 0 || m.Rules() == 0 || len(m.seqs) == 0 || m.Customers() == 0 || len(m.segments) != 4 {
			t.Fatalf("v%d: %d items, %d rules, %d sequence rules, %d customers, %d segments; want all non-zero and 4 segments",
				m.Version, m.Items(), m.Rules(), len(m.seqs), m.Customers(), len(m.segments))
		}
		total := 0
		for i, s := range m.segments {
			if s.Label == "" || len(s.best) == 0 || len(m.bySegment[i]) != s.Size {
				t.Errorf("v%d segment %d: label %q, %d best-sellers, %d customers listed, size %d", m.Version, i, s.Label, len(s.best), len(m.bySegment[i]), s.Size)
			}
			total += s.Size
		}
		if total != m.Customers() {
			t.Errorf("v%d: segment sizes add to %d; want %d customers", m.Version, total, m.Customers())
		}
		for id, c := range m.customers {
			if c.first < 0 || len(c.orders) == 0 || (len(c.history) == 0 && c.frequency > 0) {
				t.Fatalf("v%d customer %s: first %d, %d orders, %d events; want a history", m.Version, id, c.first, len(c.orders), len(c.history))
			}
		}
	}
	if m1.Rules() >= m2.Rules() {
		t.Errorf("v1 has %d rules, v2 %d; want v2 (confidence ≥ 0.3) to have more", m1.Rules(), m2.Rules())
	}
	if m2.seqOpt.MaxGap != 30 || m1.seqOpt.MaxGap != 0 {
		t.Errorf("max gaps v1 %d, v2 %d; want 0 and 30", m1.seqOpt.MaxGap, m2.seqOpt.MaxGap)
	}
}

// corrupt rewrites the rules object of model v of the fixture with one
// byte changed and returns a function restoring it.
func corrupt(t *testing.T, f *fixture, v int) func() {
	t.Helper()
	ctx := context.Background()
	mm, err := jobs.LoadModel(ctx, f.store, "retail", v)
	if err != nil {
		t.Fatal(err)
	}
	key := mm.Rules.Objects[0].Key
	rc, err := f.store.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(orig)
	bad[len(bad)/2] ^= 1
	if err := f.store.Upload(ctx, key, bytes.NewReader(bad)); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := f.store.Upload(ctx, key, bytes.NewReader(orig)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadRefusesCorruptObject(t *testing.T) {
	f := sharedFixture(t)
	loadedModels(t) // load before corrupting
	restore := corrupt(t, f, 2)
	defer restore()
	_, err := Load(context.Background(), f.store, "retail", 2)
	if err == nil || !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), "rules.jsonl") || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("got %v; want an invalid-model SHA-256 error naming rules.jsonl", err)
	}
	if _, err := Load(context.Background(), f.store, "retail", 9); err == nil {
		t.Error("missing version 9: got no error")
	}
}

func TestSegmentLabel(t *testing.T) {
	tests := []struct {
		r, f, m float64
		want    string
	}{
		{1, 5, 3000, "high value, frequent, recent"},
		{10, 1, 300, "mid value, one-time"},
		{40, 1.8, 50, "low value, occasional, lapsing"},
		{10, 1, -20, "low value, one-time"},
	}
	for _, tt := range tests {
		got := segmentLabel(map[string]float64{colRecency: tt.r, colFrequency: tt.f, colMonetary: tt.m}, 10, 1, 300)
		if got != tt.want {
			t.Errorf("label of r=%v f=%v m=%v: got %q; want %q", tt.r, tt.f, tt.m, got, tt.want)
		}
	}
}

func TestLifecycleAndChurn(t *testing.T) {
	m := &Model{now: 100 * 86400, span: 100, medianGap: 10}
	tests := []struct {
		name  string
		c     customer
		stage string
		churn float64
	}{
		{"lapsed", customer{recency: 60, frequency: 1, first: 10 * 86400, f: 1}, StageLapsed, 0.857},
		{"declining", customer{recency: 30, frequency: 3, first: 0, f: 3}, StageDeclining, 0.462},
		{"new", customer{recency: 5, frequency: 1, first: 95 * 86400, f: 1}, StageNew, 0.333},
		{"mature", customer{recency: 2, frequency: 10, first: 0, f: 5}, StageMature, 0.155},
		{"growing", customer{recency: 2, frequency: 2, first: 50 * 86400, f: 2}, StageGrowing, 0.04},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.lifecycle(&tt.c); got != tt.stage {
				t.Errorf("stage: got %s; want %s", got, tt.stage)
			}
			if got := m.churn(&tt.c).Score; got != tt.churn {
				t.Errorf("churn: got %v; want %v", got, tt.churn)
			}
		})
	}
}
