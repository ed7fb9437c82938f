package runtime

// D1Database is the binding interface for this product. Placeholder: the package
// that implements it defines its methods here.
type D1Database interface{}
