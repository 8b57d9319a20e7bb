package ordersapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/coalesce"
	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/application/orders"
	"github.com/b2b-backoffice/backoffice/domain/idempotency"
	"github.com/b2b-backoffice/backoffice/domain/order"
)

// Header names of idempotent requests. Confirmation accepts either key header (they must
// agree when both are sent); creation too, so that a client uses one spelling everywhere.
const (
	HeaderIdempotencyKey  = "Idempotency-Key"
	HeaderXIdempotencyKey = "X-Idempotency-Key"
	HeaderReplayed        = "Idempotent-Replayed"
)

type handlers struct {
	orders  *orders.Service
	metrics httpkit.Metrics
	// pages answers the requests for one page of products that wait while that page is
	// being read and encoded with one read and one encoding, made after they arrived (see
	// coalesce.Batcher): under load the first page of the catalogue is read far more often
	// than it changes.
	pages *coalesce.Batcher[orders.ListProducts, struct{}, []byte]
}

func newHandlers(svc *orders.Service, metrics httpkit.Metrics) *handlers {
	h := &handlers{orders: svc, metrics: metrics}
	h.pages = coalesce.New(1, h.productPage)
	return h
}

func (h *handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.metrics != nil && (errors.Is(err, idempotency.ErrKeyReused) || errors.Is(err, idempotency.ErrInProgress)) {
		h.metrics.Count(eventConflict)
	}
	httpkit.WriteError(w, r, err)
}

func pathID(r *http.Request) (int64, error) { return httpkit.PathID(mux.Vars(r)["id"]) }

// idempotencyKey reads the key from X-Idempotency-Key and Idempotency-Key. present is false
// when neither header is there; two different values or an invalid one are
// idempotency.ErrInvalidKey.
func idempotencyKey(r *http.Request) (key idempotency.Key, present bool, err error) {
	values := slices.Concat(r.Header.Values(HeaderXIdempotencyKey), r.Header.Values(HeaderIdempotencyKey))
	return idempotency.Pick(values)
}

// encoder returns the use cases' encoder: the exact bytes WriteData would write, with
// status. What it returns is what a replay answers, byte for byte.
func encoder(status int) orders.Encoder {
	return func(o *order.Order) (idempotency.Response, error) {
		b, err := httpkit.EncodeData(toOrderJSON(o))
		if err != nil {
			return idempotency.Response{}, err
		}
		return idempotency.Response{Status: status, Body: b}, nil
	}
}

// writeOutcome answers the response of an idempotent use case: the one just encoded, or the
// stored one with Idempotent-Replayed: true.
func (h *handlers) writeOutcome(w http.ResponseWriter, out orders.Outcome) {
	if out.Replayed {
		w.Header().Set(HeaderReplayed, "true")
		if h.metrics != nil {
			h.metrics.Count(eventReplay)
		}
	}
	httpkit.WriteRaw(w, out.Response.Status, out.Response.Body)
}

// ---- products ----

func (h *handlers) createProduct(w http.ResponseWriter, r *http.Request) {
	var body createProductRequest
	if err := httpkit.Decode(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	cmd, err := body.command()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.orders.CreateProduct(r.Context(), cmd)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/products/"+strconv.FormatInt(p.ID(), 10))
	httpkit.WriteData(w, http.StatusCreated, toProductJSON(p))
}

func (h *handlers) listProducts(w http.ResponseWriter, r *http.Request) {
	page, err := httpkit.PageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, _, err := h.pages.Get(r.Context(), orders.ListProducts{
		Filter: orders.ProductFilter{Search: r.URL.Query().Get("search")}, Page: page}, struct{}{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteRaw(w, http.StatusOK, body)
}

// productPage reads and encodes one page of products, for h.pages.
func (h *handlers) productPage(ctx context.Context, q orders.ListProducts, _ []struct{}) (map[struct{}][]byte, error) {
	p, err := h.orders.ListProducts(ctx, q)
	if err != nil {
		return nil, err
	}
	items := make([]productJSON, 0, len(p.Items))
	for _, it := range p.Items {
		items = append(items, toProductJSON(it))
	}
	body, err := httpkit.EncodePage(q.Page, items, p.HasMore, p.Next)
	if err != nil {
		return nil, err
	}
	return map[struct{}][]byte{{}: body}, nil
}

func (h *handlers) getProduct(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.orders.GetProduct(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteData(w, http.StatusOK, toProductJSON(p))
}

func (h *handlers) patchProduct(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body patchProductRequest
	if err := httpkit.Decode(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	patch, err := body.patch()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.orders.UpdateProduct(r.Context(), id, patch)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteData(w, http.StatusOK, toProductJSON(p))
}

// ---- orders ----

// createOrder creates an order; with an Idempotency-Key the creation is idempotent (the use
// case fingerprints the normalized body: customer and merged lines).
func (h *handlers) createOrder(w http.ResponseWriter, r *http.Request) {
	key, _, err := idempotencyKey(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body createOrderRequest
	if err := httpkit.Decode(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	customerID, lines, err := body.lines()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.orders.CreateOrder(r.Context(), orders.CreateOrder{CustomerID: customerID, Lines: lines, Key: key,
		Encode: encoder(http.StatusCreated)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if out.OrderID > 0 {
		w.Header().Set("Location", "/orders/"+strconv.FormatInt(out.OrderID, 10))
	}
	h.writeOutcome(w, out)
}

func (h *handlers) listOrders(w http.ResponseWriter, r *http.Request) {
	page, err := httpkit.PageRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := orderFilter(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.orders.ListOrders(r.Context(), orders.ListOrders{Filter: f, Page: page})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items := make([]orderJSON, 0, len(p.Items))
	for _, it := range p.Items {
		items = append(items, toOrderJSON(it))
	}
	httpkit.WritePage(w, page, items, p.HasMore, p.Next)
}

func (h *handlers) getOrder(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.orders.GetOrder(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteData(w, http.StatusOK, toOrderJSON(o))
}

// confirmOrder confirms idempotently: the key is required (a zero key makes the use case
// answer idempotency_key_required). The route takes no body: one is ignored, unless it is
// over 1 MiB (413, as everywhere).
func (h *handlers) confirmOrder(w http.ResponseWriter, r *http.Request) {
	if err := httpkit.DiscardBody(r); err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	key, _, err := idempotencyKey(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.orders.ConfirmOrder(r.Context(), orders.ConfirmOrder{OrderID: id, Key: key, Encode: encoder(http.StatusOK)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeOutcome(w, out)
}

// cancelOrder takes no body either: one over 1 MiB is 413, a smaller one is ignored.
func (h *handlers) cancelOrder(w http.ResponseWriter, r *http.Request) {
	if err := httpkit.DiscardBody(r); err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.orders.CancelOrder(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteData(w, http.StatusOK, toOrderJSON(o))
}
