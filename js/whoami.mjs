// podid test client: the AWS SDK for JavaScript v3 inside a pod, with the default credential chain.
// Usage: node whoami.mjs BUCKET PREFIX...   Prints one JSON object per line:
//   {"step":"sts","arn":...} then {"step":"s3","prefix":...,"keys":[...]} or {..,"error":NAME}.
// Exit 0 when every call succeeded, 1 otherwise (errors are printed, never thrown).
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts'
import { S3Client, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { fromNodeProviderChain } from '@aws-sdk/credential-providers'

const [bucket, ...prefixes] = process.argv.slice(2)
const credentials = fromNodeProviderChain()
let failed = false

function out (obj) { process.stdout.write(JSON.stringify(obj) + '\n') }

try {
  const who = await new STSClient({ credentials }).send(new GetCallerIdentityCommand({}))
  out({ step: 'sts', arn: who.Arn })
} catch (e) {
  failed = true
  out({ step: 'sts', error: e.name, message: String(e.message).slice(0, 300) })
}
const s3 = new S3Client({ credentials, forcePathStyle: true })
for (const prefix of prefixes) {
  try {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
    out({ step: 's3', prefix, keys: (res.Contents || []).map((o) => o.Key) })
  } catch (e) {
    failed = true
    out({ step: 's3', prefix, error: e.name, message: String(e.message).slice(0, 300) })
  }
}
process.exit(failed ? 1 : 0)
