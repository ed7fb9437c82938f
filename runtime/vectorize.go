package runtime

// VectorizeIndex is the binding interface for this product. Placeholder: the package
// that implements it defines its methods here.
type VectorizeIndex interface{}
