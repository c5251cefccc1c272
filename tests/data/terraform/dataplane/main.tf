# The data-plane resources users' HCL creates next to their identities.
resource "aws_s3_bucket" "data" {
  bucket = "podid-tf-data"
}

resource "aws_s3_object" "report" {
  bucket       = aws_s3_bucket.data.id
  key          = "allowed/report.txt"
  content      = "quarterly numbers"
  content_type = "text/plain"
}

resource "aws_secretsmanager_secret" "db" {
  name                    = "podid-tf/db"
  recovery_window_in_days = 0
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({ username = "app", password = "not-a-real-one" })
}

resource "aws_sqs_queue" "jobs" {
  name                       = "podid-tf-jobs"
  visibility_timeout_seconds = 60
}

resource "aws_dynamodb_table" "items" {
  name         = "podid-tf-items"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  attribute {
    name = "pk"
    type = "S"
  }
}

resource "aws_kms_key" "data" {
  description             = "podid-tf data key"
  deletion_window_in_days = 7
}

resource "aws_kms_alias" "data" {
  name          = "alias/podid-tf-data"
  target_key_id = aws_kms_key.data.key_id
}
