package crmapi

import (
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

//go:embed openapi.json
var openAPI []byte

// route is one served route.
type route struct {
	method, path string
	acc          access
	h            http.HandlerFunc
}

// routeTable lists every route the Server serves; the OpenAPI test checks
// it against openapi.json.
func (s *Server) routeTable() []route {
	return []route{
		{"GET", "/healthz", public, s.healthz},
		{"GET", "/readyz", public, s.readyz},
		{"GET", "/openapi.json", public, s.openapi},
		{"GET", "/metrics", public, s.metrics.Handler().ServeHTTP},
		{"GET", "/v1/customers/{id}", needRead, s.withModel(s.customer)},
		{"GET", "/v1/customers/{id}/recommendations", needRead, s.withModel(s.customerRecs)},
		{"POST", "/v1/recommendations", needRead, s.withModel(s.basketRecs)},
		{"GET", "/v1/items/{id}/associations", needRead, s.withModel(s.associations)},
		{"GET", "/v1/segments", needRead, s.withModel(s.segmentList)},
		{"GET", "/v1/segments/{id}", needRead, s.withModel(s.segment)},
		{"GET", "/v1/segments/{id}/customers", needRead, s.withModel(s.segmentCustomers)},
		{"POST", "/v1/admin/model/rollback", needAdmin, s.rollback},
	}
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.Handle(rt.method+" "+rt.path, s.guard(rt.acc, rt.h))
	}
	mux.Handle("/", s.guard(public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range []string{"GET", "POST"} {
			r2 := r.Clone(r.Context())
			r2.Method = m
			if _, p := mux.Handler(r2); p != "/" {
				writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path))
				return
			}
		}
		writeError(w, http.StatusNotFound, CodeNoRoute, fmt.Sprintf("no route %s", r.URL.Path))
	})))
	return mux
}

// withModel reads the current model once and passes it on, so the whole
// request is answered from one model version.
func (s *Server) withModel(h func(http.ResponseWriter, *http.Request, *Model)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m := s.cur.Load()
		if m == nil {
			writeError(w, http.StatusServiceUnavailable, CodeNotReady, "no model loaded yet")
			return
		}
		w.Header()[ModelVersionHeader] = m.json.versionHeader
		h(w, r, m)
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	m := s.cur.Load()
	if m == nil {
		writeError(w, http.StatusServiceUnavailable, CodeNotReady, "no model loaded yet")
		return
	}
	w.Header().Set(ModelVersionHeader, strconv.Itoa(m.Version))
	writeJSON(w, http.StatusOK, m.info())
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

func (s *Server) rollback(w http.ResponseWriter, _ *http.Request) {
	m, err := s.Rollback()
	if errors.Is(err, ErrNoPrevious) {
		writeError(w, http.StatusConflict, CodeNoPrevious, "no previous model to roll back to")
		return
	}
	w.Header().Set(ModelVersionHeader, strconv.Itoa(m.Version))
	writeJSON(w, http.StatusOK, m.info())
}

func (m *Model) info() ModelInfo {
	return ModelInfo{ModelVersion: m.Version, Dataset: m.Dataset, DatasetVersion: m.DatasetVersion, Job: m.Job}
}

// lookupCustomer returns the customer of the path's id, or answers 404.
func lookupCustomer(w http.ResponseWriter, r *http.Request, m *Model) (*customer, bool) {
	id := r.PathValue("id")
	c := m.customers[id]
	if c == nil {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no customer %q", id))
	}
	return c, c != nil
}

func (s *Server) customer(w http.ResponseWriter, r *http.Request, m *Model) {
	c, ok := lookupCustomer(w, r, m)
	if !ok {
		return
	}
	bp := getBuf()
	data, ok := m.appendProfile(*bp, c)
	if ok {
		writeBody(w, http.StatusOK, append(data, '\n'))
	} else {
		p := m.profile(c)
		writeJSON(w, http.StatusOK, &p) // refuses what appendProfile could not write
	}
	putBuf(bp, data)
}

// profile renders c.
func (m *Model) profile(c *customer) CustomerProfile {
	p := CustomerProfile{ModelVersion: m.Version, Customer: c.id, LastPurchases: []Purchase{},
		Lifecycle: Lifecycle{Stage: m.lifecycle(c), TenureDays: m.tenure(c), RecencyDays: c.recency, SpanDays: m.span}}
	if c.segment >= 0 {
		p.Segment = &SegmentRef{ID: c.segment, Label: m.segments[c.segment].Label}
	}
	if c.hasRFM {
		p.RFM = &RFM{RecencyDays: c.recency, Frequency: c.frequency, Monetary: c.monetary, R: c.r, F: c.f, M: c.mScore,
			Score: fmt.Sprintf("%d%d%d", c.r, c.f, c.mScore)}
		p.Value = &Value{NetSpend: c.monetary, Score: c.mScore}
		ch := m.churn(c)
		p.Churn = &ch
	}
	for _, o := range c.orders {
		pu := Purchase{Order: o.id, Time: time.Unix(o.time, 0).UTC().Format(time.RFC3339), Cancel: o.cancel}
		for _, l := range o.lines {
			it := m.items[l.item]
			pu.Lines = append(pu.Lines, PurchaseLine{Item: it.Name, Name: it.Description, Quantity: l.quantity, Price: l.price})
		}
		p.LastPurchases = append(p.LastPurchases, pu)
	}
	return p
}

func (s *Server) customerRecs(w http.ResponseWriter, r *http.Request, m *Model) {
	c, ok := lookupCustomer(w, r, m)
	if !ok {
		return
	}
	id := c.id
	k, ok := intParam(w, r, "k", 10, 1, s.cfg.MaxK)
	if !ok {
		return
	}
	rec := getRecommender(len(m.items))
	m.writeRecommendations(w, id, nil, m.recommendCustomer(rec, c, k))
	rec.put()
}

// writeRecommendations answers with the recommendations cs.
func (m *Model) writeRecommendations(w http.ResponseWriter, customer string, unknown []string, cs []candidate) {
	bp := getBuf()
	data, ok := m.appendRecommendations(*bp, customer, unknown, cs)
	if ok {
		writeBody(w, http.StatusOK, append(data, '\n'))
	} else { // refuses what appendRecommendations could not write
		writeJSON(w, http.StatusOK, &Recommendations{ModelVersion: m.Version, Customer: customer, UnknownItems: unknown, Items: m.render(cs)})
	}
	putBuf(bp, data)
}

func (s *Server) basketRecs(w http.ResponseWriter, r *http.Request, m *Model) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	bp := getBuf()
	data, err := readBody(r.Body, *bp)
	var bk basket
	if err == nil {
		bk, err = m.parseBasket(data)
	}
	putBuf(bp, data)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, fmt.Sprintf("body over %d bytes", mbe.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, CodeBadRequest, "bad JSON body: "+err.Error())
		return
	}
	k, ok := intParam(w, r, "k", 10, 1, s.cfg.MaxK)
	if !ok {
		return
	}
	if bk.k != 0 {
		if bk.k < 1 || bk.k > s.cfg.MaxK {
			writeError(w, http.StatusBadRequest, CodeInvalidParameter, fmt.Sprintf("k=%d: want an integer in [1, %d]", bk.k, s.cfg.MaxK))
			return
		}
		k = bk.k
	}
	if bk.n == 0 {
		writeError(w, http.StatusBadRequest, CodeBadRequest, `"items" must list at least one item`)
		return
	}
	sortIDs(bk.ids)
	ids := slices.Compact(bk.ids)
	rec := getRecommender(len(m.items))
	m.writeRecommendations(w, "", bk.unknown, m.recommendBasket(rec, ids, k))
	rec.put()
}

// render turns candidates into explained recommendations.
func (m *Model) render(cs []candidate) []Recommendation {
	out := make([]Recommendation, 0, len(cs))
	for _, c := range cs {
		it := m.items[c.item]
		rec := Recommendation{Item: it.Name, Name: it.Description, Score: c.conf, Source: c.src.String()}
		switch c.src {
		case srcRule:
			rec.Explanation = m.explainRule(&m.rules[c.idx])
		case srcSequence:
			p := &m.seqs[c.idx]
			e := Explanation{Support: p.support, RelativeSupport: p.relSupport, Confidence: p.confidence, Lift: p.lift}
			for _, el := range p.elements {
				e.Sequence = append(e.Sequence, m.names(el))
			}
			rec.Explanation = e
		default:
			e := Explanation{Support: c.support, Confidence: c.conf}
			if c.segment >= 0 {
				seg := c.segment
				e.Segment = &seg
			}
			rec.Explanation = e
		}
		out = append(out, rec)
	}
	return out
}

func (m *Model) explainRule(r *rule) Explanation {
	return Explanation{Antecedent: m.names(r.ant), Consequent: m.names(r.cons), Support: r.support,
		RelativeSupport: r.relSupport, Confidence: r.confidence, Lift: r.lift}
}

func (m *Model) names(ids []int32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = m.items[id].Name
	}
	return out
}

func (s *Server) associations(w http.ResponseWriter, r *http.Request, m *Model) {
	name := r.PathValue("id")
	id, ok := m.itemIndex[name]
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no item %q", name))
		return
	}
	limit, ok := intParam(w, r, "limit", 50, 1, s.cfg.MaxPageSize)
	if !ok {
		return
	}
	idx := m.rulesByItem.of(id)
	out := Associations{ModelVersion: m.Version, Item: name, Name: m.items[id].Description, Rules: make([]Explanation, 0, min(limit, len(idx)))}
	for _, ri := range idx[:min(limit, len(idx))] {
		out.Rules = append(out.Rules, m.explainRule(&m.rules[ri]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (m *Model) segmentInfo(i int) SegmentInfo {
	sg := m.segments[i]
	info := SegmentInfo{Segment: sg, TopItems: make([]TopItem, 0, 10)}
	for _, b := range sg.best[:min(10, len(sg.best))] {
		it := m.items[b.item]
		info.TopItems = append(info.TopItems, TopItem{Item: it.Name, Name: it.Description, Customers: b.customers})
	}
	return info
}

func (s *Server) segmentList(w http.ResponseWriter, _ *http.Request, m *Model) {
	out := SegmentList{ModelVersion: m.Version, Segments: make([]SegmentInfo, 0, len(m.segments))}
	for i := range m.segments {
		out.Segments = append(out.Segments, m.segmentInfo(i))
	}
	writeJSON(w, http.StatusOK, out)
}

// segmentID reads the {id} of a segment route, answering 404 when it
// names no segment.
func segmentID(w http.ResponseWriter, r *http.Request, m *Model) (int, bool) {
	v := r.PathValue("id")
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= len(m.segments) || strconv.Itoa(i) != v {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no segment %q", v))
		return 0, false
	}
	return i, true
}

func (s *Server) segment(w http.ResponseWriter, r *http.Request, m *Model) {
	if i, ok := segmentID(w, r, m); ok {
		writeJSON(w, http.StatusOK, SegmentDetail{ModelVersion: m.Version, SegmentInfo: m.segmentInfo(i)})
	}
}

func (s *Server) segmentCustomers(w http.ResponseWriter, r *http.Request, m *Model) {
	i, ok := segmentID(w, r, m)
	if !ok {
		return
	}
	limit, ok := intParam(w, r, "limit", s.cfg.PageSize, 1, s.cfg.MaxPageSize)
	if !ok {
		return
	}
	ids := m.bySegment[i]
	start := 0
	if c := queryValue(r.URL.RawQuery, "cursor"); c != "" {
		after, ok := decodeCursor(c)
		if !ok {
			writeError(w, http.StatusBadRequest, CodeBadCursor, fmt.Sprintf("cursor %q is not one this API gave", c))
			return
		}
		start = sort.Search(len(ids), func(j int) bool { return ids[j] > after })
	}
	end := min(start+limit, len(ids))
	out := SegmentCustomers{ModelVersion: m.Version, Segment: i, Customers: append([]string{}, ids[start:end]...)}
	if end < len(ids) {
		out.NextCursor = encodeCursor(ids[end-1])
	}
	writeJSON(w, http.StatusOK, out)
}
