package customersapi

import (
	"net"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/b2b-backoffice/backoffice/adapters/http/httpkit"
	"github.com/b2b-backoffice/backoffice/application/auth"
	"github.com/b2b-backoffice/backoffice/application/customers"
)

type handlers struct {
	customers *customers.Service
	login     *auth.Service
}

// loginHandler answers the flat OAuth2-style token object. The client address is the TCP
// peer (r.RemoteAddr): X-Forwarded-For is not trusted, since a client could otherwise pick
// a fresh address for every attempt.
func (h *handlers) loginHandler(w http.ResponseWriter, r *http.Request) {
	var body loginRequest
	if err := httpkit.Decode(r, &body); err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	tok, err := h.login.Login(r.Context(), auth.Login{
		Username: body.Username, Password: body.Password, Address: clientAddress(r)})
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok.Value, TokenType: "Bearer", ExpiresIn: int64(tok.ExpiresIn.Seconds())})
}

func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *handlers) create(w http.ResponseWriter, r *http.Request) {
	var body createRequest
	if err := httpkit.Decode(r, &body); err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	cmd, err := body.command()
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	c, err := h.customers.CreateCustomer(r.Context(), cmd)
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/customers/"+strconv.FormatInt(c.ID(), 10))
	httpkit.WriteData(w, http.StatusCreated, toJSON(c))
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	page, err := httpkit.PageRequest(r)
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	p, err := h.customers.ListCustomers(r.Context(), customers.ListCustomers{Search: r.URL.Query().Get("search"), Page: page})
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	items := make([]customerJSON, 0, len(p.Items))
	for _, c := range p.Items {
		items = append(items, toJSON(c))
	}
	httpkit.WritePage(w, page, items, p.HasMore, p.Next)
}

// get serves GET /customers/{id} and, behind the service token, /internal/customers/{id}.
func (h *handlers) get(w http.ResponseWriter, r *http.Request) {
	id, err := httpkit.PathID(mux.Vars(r)["id"])
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	c, err := h.customers.GetCustomer(r.Context(), id)
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	httpkit.WriteData(w, http.StatusOK, toJSON(c))
}

func (h *handlers) update(w http.ResponseWriter, r *http.Request) {
	id, err := httpkit.PathID(mux.Vars(r)["id"])
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	var body updateRequest
	if err := httpkit.Decode(r, &body); err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	ch, err := body.changes()
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	c, err := h.customers.UpdateCustomer(r.Context(), id, ch)
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	httpkit.WriteData(w, http.StatusOK, toJSON(c))
}

func (h *handlers) delete(w http.ResponseWriter, r *http.Request) {
	id, err := httpkit.PathID(mux.Vars(r)["id"])
	if err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	if err := h.customers.DeleteCustomer(r.Context(), id); err != nil {
		httpkit.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
