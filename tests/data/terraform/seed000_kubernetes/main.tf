# Seed 000's Step 5 as Terraform (the kubernetes provider), placeholders filled in. No provider
# block: `podid plan` reads it without any provider.
resource "kubernetes_service_account" "s3_reader" {
  metadata {
    name      = "s3-reader"
    namespace = "lab"
  }
  automount_service_account_token = false
}
