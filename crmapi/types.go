package crmapi

// CustomerProfile is the answer of GET /v1/customers/{id}.
type CustomerProfile struct {
	ModelVersion  int         `json:"model_version"`
	Customer      string      `json:"customer"`
	Segment       *SegmentRef `json:"segment,omitempty"`
	RFM           *RFM        `json:"rfm,omitempty"`
	Value         *Value      `json:"value,omitempty"`
	Lifecycle     Lifecycle   `json:"lifecycle"`
	Churn         *Churn      `json:"churn,omitempty"`
	LastPurchases []Purchase  `json:"last_purchases"`
}

// SegmentRef names a customer's segment.
type SegmentRef struct {
	ID    int    `json:"id"`
	Label string `json:"label"`
}

// RFM are a customer's features and their 1–5 quintile scores.
type RFM struct {
	RecencyDays float64 `json:"recency_days"`
	Frequency   float64 `json:"frequency"`
	Monetary    float64 `json:"monetary"`
	R           int     `json:"r"`
	F           int     `json:"f"`
	M           int     `json:"m"`
	// Score is the three digits R, F and M, e.g. "545".
	Score string `json:"score"`
}

// Value is a customer's value: net spend and its quintile score.
type Value struct {
	NetSpend float64 `json:"net_spend"`
	Score    int     `json:"score"`
}

// Lifecycle is a customer's lifecycle stage and the figures behind it.
type Lifecycle struct {
	Stage       string  `json:"stage"`
	TenureDays  float64 `json:"tenure_days"`
	RecencyDays float64 `json:"recency_days"`
	SpanDays    float64 `json:"dataset_span_days"`
}

// Purchase is one of a customer's last orders.
type Purchase struct {
	Order  string         `json:"order"`
	Time   string         `json:"time"`
	Cancel bool           `json:"cancel,omitempty"`
	Lines  []PurchaseLine `json:"lines"`
}

// PurchaseLine is one line of an order.
type PurchaseLine struct {
	Item     string  `json:"item"`
	Name     string  `json:"name,omitempty"`
	Quantity float64 `json:"quantity"`
	Price    float64 `json:"price"`
}

// Recommendations is the answer of both recommendation endpoints.
type Recommendations struct {
	ModelVersion int    `json:"model_version"`
	Customer     string `json:"customer,omitempty"`
	// UnknownItems are basket items not in the model's catalogue, ignored.
	UnknownItems []string         `json:"unknown_items,omitempty"`
	Items        []Recommendation `json:"items"`
}

// Recommendation is one recommended item with its explanation.
type Recommendation struct {
	Item        string      `json:"item"`
	Name        string      `json:"name,omitempty"`
	Score       float64     `json:"score"`
	Source      string      `json:"source"`
	Explanation Explanation `json:"explanation"`
}

// Explanation is why an item is recommended: the rule (antecedent ⇒
// consequent), the sequential pattern, or the segment's best-seller
// figures.
type Explanation struct {
	Antecedent      []string   `json:"antecedent,omitempty"`
	Consequent      []string   `json:"consequent,omitempty"`
	Sequence        [][]string `json:"sequence,omitempty"`
	Segment         *int       `json:"segment,omitempty"`
	Support         int        `json:"support"`
	RelativeSupport float64    `json:"relative_support"`
	Confidence      float64    `json:"confidence"`
	Lift            float64    `json:"lift"`
}

// BasketRequest is the body of POST /v1/recommendations.
type BasketRequest struct {
	Items []string `json:"items"`
	K     int      `json:"k,omitempty"`
}

// Associations is the answer of GET /v1/items/{id}/associations.
type Associations struct {
	ModelVersion int           `json:"model_version"`
	Item         string        `json:"item"`
	Name         string        `json:"name,omitempty"`
	Rules        []Explanation `json:"rules"`
}

// SegmentInfo is one segment with its top items.
type SegmentInfo struct {
	Segment
	TopItems []TopItem `json:"top_items"`
}

// TopItem is a best-seller of a segment.
type TopItem struct {
	Item      string `json:"item"`
	Name      string `json:"name,omitempty"`
	Customers int    `json:"customers"`
}

// SegmentList is the answer of GET /v1/segments.
type SegmentList struct {
	ModelVersion int           `json:"model_version"`
	Segments     []SegmentInfo `json:"segments"`
}

// SegmentDetail is the answer of GET /v1/segments/{id}.
type SegmentDetail struct {
	ModelVersion int `json:"model_version"`
	SegmentInfo
}

// SegmentCustomers is a page of GET /v1/segments/{id}/customers.
type SegmentCustomers struct {
	ModelVersion int      `json:"model_version"`
	Segment      int      `json:"segment"`
	Customers    []string `json:"customers"`
	// NextCursor fetches the next page; empty on the last.
	NextCursor string `json:"next_cursor,omitempty"`
}

// ModelInfo is the answer of the rollback endpoint and part of /readyz.
type ModelInfo struct {
	ModelVersion   int    `json:"model_version"`
	Dataset        string `json:"dataset"`
	DatasetVersion int    `json:"dataset_version"`
	Job            string `json:"job"`
}
