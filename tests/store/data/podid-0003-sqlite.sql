-- schema of a podid.db at revision 0003_k8s, as the hand-written revisions 0001-0003 built it
CREATE TABLE podid_alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT podid_alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE accounts (
	id VARCHAR(12) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE podid_kv (
	namespace VARCHAR(100) NOT NULL, 
	"key" VARCHAR(512) NOT NULL, 
	value JSON NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (namespace, "key")
);
CREATE TABLE podid_meta (
	"key" VARCHAR(64) NOT NULL, 
	value INTEGER NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE iam_oidc_providers (
	pk INTEGER NOT NULL, 
	account_id VARCHAR(12) NOT NULL, 
	url VARCHAR(512) NOT NULL, 
	arn VARCHAR(1024) NOT NULL, 
	client_ids JSON NOT NULL, 
	thumbprints JSON NOT NULL, 
	tags JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (pk), 
	FOREIGN KEY(account_id) REFERENCES accounts (id), 
	CONSTRAINT uq_iam_oidc_providers_url UNIQUE (account_id, url), 
	UNIQUE (arn)
);
CREATE TABLE iam_policies (
	pk INTEGER NOT NULL, 
	account_id VARCHAR(12) NOT NULL, 
	name VARCHAR(128) NOT NULL, 
	name_key VARCHAR(128) NOT NULL, 
	path VARCHAR(512) NOT NULL, 
	policy_id VARCHAR(32) NOT NULL, 
	arn VARCHAR(1024) NOT NULL, 
	description VARCHAR(1000), 
	default_version VARCHAR(16) NOT NULL, 
	next_version INTEGER NOT NULL, 
	tags JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (pk), 
	FOREIGN KEY(account_id) REFERENCES accounts (id), 
	CONSTRAINT uq_iam_policies_name UNIQUE (account_id, name_key), 
	UNIQUE (arn), 
	UNIQUE (policy_id)
);
CREATE TABLE iam_roles (
	pk INTEGER NOT NULL, 
	account_id VARCHAR(12) NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	name_key VARCHAR(64) NOT NULL, 
	path VARCHAR(512) NOT NULL, 
	role_id VARCHAR(32) NOT NULL, 
	arn VARCHAR(1024) NOT NULL, 
	trust_policy TEXT NOT NULL, 
	description VARCHAR(1000), 
	max_session_duration INTEGER NOT NULL, 
	tags JSON NOT NULL, 
	boundary_arn VARCHAR(2048), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (pk), 
	FOREIGN KEY(account_id) REFERENCES accounts (id), 
	CONSTRAINT uq_iam_roles_name UNIQUE (account_id, name_key), 
	UNIQUE (role_id)
);
CREATE TABLE iam_users (
	pk INTEGER NOT NULL, 
	account_id VARCHAR(12) NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	name_key VARCHAR(64) NOT NULL, 
	path VARCHAR(512) NOT NULL, 
	user_id VARCHAR(32) NOT NULL, 
	arn VARCHAR(1024) NOT NULL, 
	tags JSON NOT NULL, 
	boundary_arn VARCHAR(2048), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (pk), 
	FOREIGN KEY(account_id) REFERENCES accounts (id), 
	CONSTRAINT uq_iam_users_name UNIQUE (account_id, name_key), 
	UNIQUE (user_id)
);
CREATE TABLE iam_access_keys (
	access_key_id VARCHAR(32) NOT NULL, 
	secret VARCHAR(64) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	user_pk INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (access_key_id), 
	FOREIGN KEY(user_pk) REFERENCES iam_users (pk)
);
CREATE INDEX ix_iam_access_keys_user_pk ON iam_access_keys (user_pk);
CREATE TABLE iam_policy_versions (
	pk INTEGER NOT NULL, 
	policy_pk INTEGER NOT NULL, 
	version_id VARCHAR(16) NOT NULL, 
	document TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (pk), 
	FOREIGN KEY(policy_pk) REFERENCES iam_policies (pk) ON DELETE CASCADE, 
	CONSTRAINT uq_iam_policy_versions UNIQUE (policy_pk, version_id)
);
CREATE TABLE iam_role_attachments (
	pk INTEGER NOT NULL, 
	role_pk INTEGER NOT NULL, 
	policy_arn VARCHAR(1024) NOT NULL, 
	policy_pk INTEGER, 
	PRIMARY KEY (pk), 
	FOREIGN KEY(policy_pk) REFERENCES iam_policies (pk), 
	FOREIGN KEY(role_pk) REFERENCES iam_roles (pk), 
	CONSTRAINT uq_iam_role_attachments UNIQUE (role_pk, policy_arn)
);
CREATE INDEX ix_iam_role_attachments_policy_arn ON iam_role_attachments (policy_arn);
CREATE TABLE iam_role_policies (
	pk INTEGER NOT NULL, 
	role_pk INTEGER NOT NULL, 
	name VARCHAR(128) NOT NULL, 
	document TEXT NOT NULL, 
	PRIMARY KEY (pk), 
	FOREIGN KEY(role_pk) REFERENCES iam_roles (pk), 
	CONSTRAINT uq_iam_role_policies UNIQUE (role_pk, name)
);
CREATE TABLE iam_user_attachments (
	pk INTEGER NOT NULL, 
	user_pk INTEGER NOT NULL, 
	policy_arn VARCHAR(1024) NOT NULL, 
	policy_pk INTEGER, 
	PRIMARY KEY (pk), 
	FOREIGN KEY(policy_pk) REFERENCES iam_policies (pk), 
	FOREIGN KEY(user_pk) REFERENCES iam_users (pk), 
	CONSTRAINT uq_iam_user_attachments UNIQUE (user_pk, policy_arn)
);
CREATE INDEX ix_iam_user_attachments_policy_arn ON iam_user_attachments (policy_arn);
CREATE TABLE iam_user_policies (
	pk INTEGER NOT NULL, 
	user_pk INTEGER NOT NULL, 
	name VARCHAR(128) NOT NULL, 
	document TEXT NOT NULL, 
	PRIMARY KEY (pk), 
	FOREIGN KEY(user_pk) REFERENCES iam_users (pk), 
	CONSTRAINT uq_iam_user_policies UNIQUE (user_pk, name)
);
CREATE TABLE eks_clusters (
	pk INTEGER NOT NULL, 
	account_id VARCHAR(12) NOT NULL, 
	region VARCHAR(32) NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	arn VARCHAR(256) NOT NULL, 
	cluster_id VARCHAR(36) NOT NULL, 
	version VARCHAR(16) NOT NULL, 
	oidc_id VARCHAR(32) NOT NULL, 
	role_arn VARCHAR(2048), 
	endpoint VARCHAR(1024), 
	status VARCHAR(16) NOT NULL, 
	tags JSON NOT NULL, 
	created_at FLOAT NOT NULL, 
	PRIMARY KEY (pk), 
	CONSTRAINT uq_eks_clusters_arn UNIQUE (arn), 
	CONSTRAINT uq_eks_clusters_oidc_id UNIQUE (oidc_id), 
	CONSTRAINT uq_eks_clusters_name UNIQUE (account_id, region, name)
);
CREATE TABLE eks_addons (
	pk INTEGER NOT NULL, 
	cluster_pk INTEGER NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	version VARCHAR(64) NOT NULL, 
	arn VARCHAR(512) NOT NULL, 
	service_account_role_arn VARCHAR(2048), 
	configuration_values TEXT, 
	pod_identity_associations JSON NOT NULL, 
	tags JSON NOT NULL, 
	created_at FLOAT NOT NULL, 
	modified_at FLOAT NOT NULL, 
	PRIMARY KEY (pk), 
	CONSTRAINT fk_eks_addons_cluster FOREIGN KEY(cluster_pk) REFERENCES eks_clusters (pk), 
	CONSTRAINT uq_eks_addons_name UNIQUE (cluster_pk, name)
);
CREATE INDEX ix_eks_addons_cluster ON eks_addons (cluster_pk);
CREATE TABLE eks_pod_identity_associations (
	pk INTEGER NOT NULL, 
	cluster_pk INTEGER NOT NULL, 
	association_id VARCHAR(19) NOT NULL, 
	arn VARCHAR(512) NOT NULL, 
	namespace VARCHAR(253) NOT NULL, 
	service_account VARCHAR(253) NOT NULL, 
	role_arn VARCHAR(2048) NOT NULL, 
	target_role_arn VARCHAR(2048), 
	external_id VARCHAR(64), 
	disable_session_tags BOOLEAN NOT NULL, 
	policy TEXT, 
	owner_arn VARCHAR(2048), 
	tags JSON NOT NULL, 
	created_at FLOAT NOT NULL, 
	modified_at FLOAT NOT NULL, 
	PRIMARY KEY (pk), 
	CONSTRAINT fk_eks_pia_cluster FOREIGN KEY(cluster_pk) REFERENCES eks_clusters (pk), 
	CONSTRAINT uq_eks_pia_id UNIQUE (association_id), 
	CONSTRAINT uq_eks_pia_subject UNIQUE (cluster_pk, namespace, service_account)
);
CREATE TABLE eks_issuer_keys (
	cluster_pk INTEGER NOT NULL, 
	record JSON NOT NULL, 
	updated_at FLOAT NOT NULL, 
	PRIMARY KEY (cluster_pk), 
	CONSTRAINT fk_eks_issuer_keys_cluster FOREIGN KEY(cluster_pk) REFERENCES eks_clusters (pk)
);
CREATE TABLE eks_agent_heartbeats (
	pk INTEGER NOT NULL, 
	cluster_pk INTEGER NOT NULL, 
	node_name VARCHAR(253) NOT NULL, 
	agent_id VARCHAR(64) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	reasons JSON NOT NULL, 
	received_at FLOAT NOT NULL, 
	PRIMARY KEY (pk), 
	CONSTRAINT fk_eks_heartbeats_cluster FOREIGN KEY(cluster_pk) REFERENCES eks_clusters (pk), 
	CONSTRAINT uq_eks_heartbeats_node UNIQUE (cluster_pk, node_name)
);
CREATE INDEX ix_eks_heartbeats_cluster ON eks_agent_heartbeats (cluster_pk);
CREATE TABLE k8s_objects (
	id INTEGER NOT NULL, 
	cluster VARCHAR(100) NOT NULL, 
	api_group VARCHAR(253) NOT NULL, 
	resource VARCHAR(100) NOT NULL, 
	namespace VARCHAR(253) NOT NULL, 
	name VARCHAR(253) NOT NULL, 
	uid VARCHAR(36) NOT NULL, 
	resource_version BIGINT NOT NULL, 
	body TEXT NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_k8s_objects_key UNIQUE (cluster, api_group, resource, namespace, name)
);
CREATE TABLE k8s_revisions (
	cluster VARCHAR(100) NOT NULL, 
	current BIGINT NOT NULL, 
	compacted BIGINT NOT NULL, 
	PRIMARY KEY (cluster)
);
CREATE TABLE k8s_watch_log (
	id INTEGER NOT NULL, 
	cluster VARCHAR(100) NOT NULL, 
	resource_version BIGINT NOT NULL, 
	event_type VARCHAR(16) NOT NULL, 
	api_group VARCHAR(253) NOT NULL, 
	resource VARCHAR(100) NOT NULL, 
	namespace VARCHAR(253) NOT NULL, 
	name VARCHAR(253) NOT NULL, 
	body TEXT NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_k8s_watch_log_cluster_rv ON k8s_watch_log (cluster, resource_version);
INSERT INTO podid_alembic_version VALUES ('0003_k8s');
INSERT INTO podid_meta VALUES ('generation', 0);
