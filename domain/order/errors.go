package order

import (
	"fmt"
	"slices"

	"github.com/b2b-backoffice/backoffice/domain/errs"
	"github.com/b2b-backoffice/backoffice/domain/product"
)

// Errors of the order domain and of order creation.
var (
	// ErrNotFound: no order with that id.
	ErrNotFound = errs.New(errs.KindNotFound, "order_not_found", "order not found")
	// ErrInvalidState: the transition is not allowed from the order's status (confirming a
	// CANCELED order).
	ErrInvalidState = errs.New(errs.KindConflict, "invalid_order_state", "the order cannot make this transition in its current status")
	// ErrCancelWindowExpired: a CONFIRMED order can no longer be canceled.
	ErrCancelWindowExpired = errs.New(errs.KindConflict, "cancel_window_expired", "the order was confirmed too long ago to be canceled")
	// ErrOrderExpired: the order's hold ended before it was confirmed; it is (or is about to
	// be) CANCELED with reason expired and cannot be confirmed.
	ErrOrderExpired = errs.New(errs.KindConflict, "order_expired", "the order's hold expired before it was confirmed")
	// ErrInsufficientStock: at least one line asks for more than the product's stock. The
	// error returned by New is an *InsufficientStockError that matches it with errors.Is.
	ErrInsufficientStock = errs.New(errs.KindConflict, "insufficient_stock", "not enough stock for at least one item")
	// ErrCustomerNotFound: the order names a customer that does not exist or was deleted.
	// Unlike customer.ErrNotFound (the customer asked for is not there), it is
	// KindUnprocessable: the order is well-formed but refers to a customer that is not there.
	ErrCustomerNotFound = errs.New(errs.KindUnprocessable, "customer_not_found", "the customer does not exist")
	// ErrCustomersUnavailable: customers-api could not be asked; nothing was written.
	ErrCustomersUnavailable = errs.New(errs.KindUnavailable, "customers_unavailable", "the customers service is unavailable, try again")
	// ErrUnknownProducts is the sentinel of *UnknownProductsError: KindUnprocessable,
	// product_not_found.
	ErrUnknownProducts = errs.New(errs.KindUnprocessable, "product_not_found", "at least one product does not exist")
)

// Shortage is one line that cannot be served: the quantity asked and the stock there is.
type Shortage struct {
	ProductID int64
	Requested int
	Available int
}

// InsufficientStockError lists every short line, in product id order. It matches
// ErrInsufficientStock with errors.Is and shows details.items to the client.
type InsufficientStockError struct{ Items []Shortage }

func (e *InsufficientStockError) Error() string   { return ErrInsufficientStock.Error() }
func (e *InsufficientStockError) Unwrap() error   { return ErrInsufficientStock }
func (e *InsufficientStockError) Kind() errs.Kind { return ErrInsufficientStock.Kind() }
func (e *InsufficientStockError) Code() string    { return ErrInsufficientStock.Code() }

// Details is {"items": [{"product_id","requested","available"}]}.
func (e *InsufficientStockError) Details() map[string]any {
	items := make([]map[string]any, 0, len(e.Items))
	for _, s := range e.Items {
		items = append(items, map[string]any{"product_id": s.ProductID, "requested": s.Requested, "available": s.Available})
	}
	return map[string]any{"items": items}
}

// UnknownProductsError lists every product id of an order that does not exist, ascending.
// It is KindUnprocessable, product_not_found, with details product_ids, and matches both
// ErrUnknownProducts and product.ErrNotFound with errors.Is.
type UnknownProductsError struct{ ProductIDs []int64 }

func (e *UnknownProductsError) Error() string {
	return fmt.Sprintf("%s: %v", ErrUnknownProducts.Error(), e.ProductIDs)
}
func (e *UnknownProductsError) Unwrap() []error {
	return []error{ErrUnknownProducts, product.ErrNotFound}
}
func (e *UnknownProductsError) Kind() errs.Kind { return ErrUnknownProducts.Kind() }
func (e *UnknownProductsError) Code() string    { return ErrUnknownProducts.Code() }

// Details is {"product_ids": [...]}.
func (e *UnknownProductsError) Details() map[string]any {
	return map[string]any{"product_ids": slices.Clone(e.ProductIDs)}
}
