package runtime

// R2Bucket is the binding interface for this product. Placeholder: the package
// that implements it defines its methods here.
type R2Bucket interface{}
