-- schema of a podid PostgreSQL database at revision 0003_k8s, as the hand-written revisions 0001-0003
-- built it (pg_dump --inserts, comments and session settings removed)
CREATE TABLE public.accounts (
    id character varying(12) NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE public.eks_addons (
    pk integer NOT NULL,
    cluster_pk integer NOT NULL,
    name character varying(100) NOT NULL,
    version character varying(64) NOT NULL,
    arn character varying(512) NOT NULL,
    service_account_role_arn character varying(2048),
    configuration_values text,
    pod_identity_associations json NOT NULL,
    tags json NOT NULL,
    created_at double precision NOT NULL,
    modified_at double precision NOT NULL
);
CREATE SEQUENCE public.eks_addons_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.eks_addons_pk_seq OWNED BY public.eks_addons.pk;
CREATE TABLE public.eks_agent_heartbeats (
    pk integer NOT NULL,
    cluster_pk integer NOT NULL,
    node_name character varying(253) NOT NULL,
    agent_id character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    reasons json NOT NULL,
    received_at double precision NOT NULL
);
CREATE SEQUENCE public.eks_agent_heartbeats_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.eks_agent_heartbeats_pk_seq OWNED BY public.eks_agent_heartbeats.pk;
CREATE TABLE public.eks_clusters (
    pk integer NOT NULL,
    account_id character varying(12) NOT NULL,
    region character varying(32) NOT NULL,
    name character varying(100) NOT NULL,
    arn character varying(256) NOT NULL,
    cluster_id character varying(36) NOT NULL,
    version character varying(16) NOT NULL,
    oidc_id character varying(32) NOT NULL,
    role_arn character varying(2048),
    endpoint character varying(1024),
    status character varying(16) NOT NULL,
    tags json NOT NULL,
    created_at double precision NOT NULL
);
CREATE SEQUENCE public.eks_clusters_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.eks_clusters_pk_seq OWNED BY public.eks_clusters.pk;
CREATE TABLE public.eks_issuer_keys (
    cluster_pk integer NOT NULL,
    record json NOT NULL,
    updated_at double precision NOT NULL
);
CREATE TABLE public.eks_pod_identity_associations (
    pk integer NOT NULL,
    cluster_pk integer NOT NULL,
    association_id character varying(19) NOT NULL,
    arn character varying(512) NOT NULL,
    namespace character varying(253) NOT NULL,
    service_account character varying(253) NOT NULL,
    role_arn character varying(2048) NOT NULL,
    target_role_arn character varying(2048),
    external_id character varying(64),
    disable_session_tags boolean NOT NULL,
    policy text,
    owner_arn character varying(2048),
    tags json NOT NULL,
    created_at double precision NOT NULL,
    modified_at double precision NOT NULL
);
CREATE SEQUENCE public.eks_pod_identity_associations_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.eks_pod_identity_associations_pk_seq OWNED BY public.eks_pod_identity_associations.pk;
CREATE TABLE public.iam_access_keys (
    access_key_id character varying(32) NOT NULL,
    secret character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    user_pk integer NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE public.iam_oidc_providers (
    pk integer NOT NULL,
    account_id character varying(12) NOT NULL,
    url character varying(512) NOT NULL,
    arn character varying(1024) NOT NULL,
    client_ids json NOT NULL,
    thumbprints json NOT NULL,
    tags json NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.iam_oidc_providers_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.iam_oidc_providers_pk_seq OWNED BY public.iam_oidc_providers.pk;
CREATE TABLE public.iam_policies (
    pk integer NOT NULL,
    account_id character varying(12) NOT NULL,
    name character varying(128) NOT NULL,
    name_key character varying(128) NOT NULL,
    path character varying(512) NOT NULL,
    policy_id character varying(32) NOT NULL,
    arn character varying(1024) NOT NULL,
    description character varying(1000),
    default_version character varying(16) NOT NULL,
    next_version integer NOT NULL,
    tags json NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.iam_policies_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.iam_policies_pk_seq OWNED BY public.iam_policies.pk;
CREATE TABLE public.iam_policy_versions (
    pk integer NOT NULL,
    policy_pk integer NOT NULL,
    version_id character varying(16) NOT NULL,
    document text NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.iam_policy_versions_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.iam_policy_versions_pk_seq OWNED BY public.iam_policy_versions.pk;
CREATE TABLE public.iam_role_attachments (
    pk integer NOT NULL,
    role_pk integer NOT NULL,
    policy_arn character varying(1024) NOT NULL,
    policy_pk integer
);
CREATE SEQUENCE public.iam_role_attachments_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.iam_role_attachments_pk_seq OWNED BY public.iam_role_attachments.pk;
CREATE TABLE public.iam_role_policies (
    pk integer NOT NULL,
    role_pk integer NOT NULL,
    name character varying(128) NOT NULL,
    document text NOT NULL
);
CREATE SEQUENCE public.iam_role_policies_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.iam_role_policies_pk_seq OWNED BY public.iam_role_policies.pk;
CREATE TABLE public.iam_roles (
    pk integer NOT NULL,
    account_id character varying(12) NOT NULL,
    name character varying(64) NOT NULL,
    name_key character varying(64) NOT NULL,
    path character varying(512) NOT NULL,
    role_id character varying(32) NOT NULL,
    arn character varying(1024) NOT NULL,
    trust_policy text NOT NULL,
    description character varying(1000),
    max_session_duration integer NOT NULL,
    tags json NOT NULL,
    boundary_arn character varying(2048),
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.iam_roles_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.iam_roles_pk_seq OWNED BY public.iam_roles.pk;
CREATE TABLE public.iam_user_attachments (
    pk integer NOT NULL,
    user_pk integer NOT NULL,
    policy_arn character varying(1024) NOT NULL,
    policy_pk integer
);
CREATE SEQUENCE public.iam_user_attachments_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.iam_user_attachments_pk_seq OWNED BY public.iam_user_attachments.pk;
CREATE TABLE public.iam_user_policies (
    pk integer NOT NULL,
    user_pk integer NOT NULL,
    name character varying(128) NOT NULL,
    document text NOT NULL
);
CREATE SEQUENCE public.iam_user_policies_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.iam_user_policies_pk_seq OWNED BY public.iam_user_policies.pk;
CREATE TABLE public.iam_users (
    pk integer NOT NULL,
    account_id character varying(12) NOT NULL,
    name character varying(64) NOT NULL,
    name_key character varying(64) NOT NULL,
    path character varying(512) NOT NULL,
    user_id character varying(32) NOT NULL,
    arn character varying(1024) NOT NULL,
    tags json NOT NULL,
    boundary_arn character varying(2048),
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.iam_users_pk_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.iam_users_pk_seq OWNED BY public.iam_users.pk;
CREATE TABLE public.k8s_objects (
    id integer NOT NULL,
    cluster character varying(100) NOT NULL,
    api_group character varying(253) NOT NULL,
    resource character varying(100) NOT NULL,
    namespace character varying(253) NOT NULL,
    name character varying(253) NOT NULL,
    uid character varying(36) NOT NULL,
    resource_version bigint NOT NULL,
    body text NOT NULL
);
CREATE SEQUENCE public.k8s_objects_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.k8s_objects_id_seq OWNED BY public.k8s_objects.id;
CREATE TABLE public.k8s_revisions (
    cluster character varying(100) NOT NULL,
    current bigint NOT NULL,
    compacted bigint NOT NULL
);
CREATE TABLE public.k8s_watch_log (
    id integer NOT NULL,
    cluster character varying(100) NOT NULL,
    resource_version bigint NOT NULL,
    event_type character varying(16) NOT NULL,
    api_group character varying(253) NOT NULL,
    resource character varying(100) NOT NULL,
    namespace character varying(253) NOT NULL,
    name character varying(253) NOT NULL,
    body text NOT NULL
);
CREATE SEQUENCE public.k8s_watch_log_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.k8s_watch_log_id_seq OWNED BY public.k8s_watch_log.id;
CREATE TABLE public.podid_alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.podid_kv (
    namespace character varying(100) NOT NULL,
    key character varying(512) NOT NULL,
    value json NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE TABLE public.podid_meta (
    key character varying(64) NOT NULL,
    value integer NOT NULL
);
ALTER TABLE ONLY public.eks_addons ALTER COLUMN pk SET DEFAULT nextval('public.eks_addons_pk_seq'::regclass);
ALTER TABLE ONLY public.eks_agent_heartbeats ALTER COLUMN pk SET DEFAULT nextval('public.eks_agent_heartbeats_pk_seq'::regclass);
ALTER TABLE ONLY public.eks_clusters ALTER COLUMN pk SET DEFAULT nextval('public.eks_clusters_pk_seq'::regclass);
ALTER TABLE ONLY public.eks_pod_identity_associations ALTER COLUMN pk SET DEFAULT nextval('public.eks_pod_identity_associations_pk_seq'::regclass);
ALTER TABLE ONLY public.iam_oidc_providers ALTER COLUMN pk SET DEFAULT nextval('public.iam_oidc_providers_pk_seq'::regclass);
ALTER TABLE ONLY public.iam_policies ALTER COLUMN pk SET DEFAULT nextval('public.iam_policies_pk_seq'::regclass);
ALTER TABLE ONLY public.iam_policy_versions ALTER COLUMN pk SET DEFAULT nextval('public.iam_policy_versions_pk_seq'::regclass);
ALTER TABLE ONLY public.iam_role_attachments ALTER COLUMN pk SET DEFAULT nextval('public.iam_role_attachments_pk_seq'::regclass);
ALTER TABLE ONLY public.iam_role_policies ALTER COLUMN pk SET DEFAULT nextval('public.iam_role_policies_pk_seq'::regclass);
ALTER TABLE ONLY public.iam_roles ALTER COLUMN pk SET DEFAULT nextval('public.iam_roles_pk_seq'::regclass);
ALTER TABLE ONLY public.iam_user_attachments ALTER COLUMN pk SET DEFAULT nextval('public.iam_user_attachments_pk_seq'::regclass);
ALTER TABLE ONLY public.iam_user_policies ALTER COLUMN pk SET DEFAULT nextval('public.iam_user_policies_pk_seq'::regclass);
ALTER TABLE ONLY public.iam_users ALTER COLUMN pk SET DEFAULT nextval('public.iam_users_pk_seq'::regclass);
ALTER TABLE ONLY public.k8s_objects ALTER COLUMN id SET DEFAULT nextval('public.k8s_objects_id_seq'::regclass);
ALTER TABLE ONLY public.k8s_watch_log ALTER COLUMN id SET DEFAULT nextval('public.k8s_watch_log_id_seq'::regclass);
INSERT INTO public.podid_alembic_version VALUES ('0003_k8s');
INSERT INTO public.podid_meta VALUES ('generation', 0);
SELECT pg_catalog.setval('public.eks_addons_pk_seq', 1, false);
SELECT pg_catalog.setval('public.eks_agent_heartbeats_pk_seq', 1, false);
SELECT pg_catalog.setval('public.eks_clusters_pk_seq', 1, false);
SELECT pg_catalog.setval('public.eks_pod_identity_associations_pk_seq', 1, false);
SELECT pg_catalog.setval('public.iam_oidc_providers_pk_seq', 1, false);
SELECT pg_catalog.setval('public.iam_policies_pk_seq', 1, false);
SELECT pg_catalog.setval('public.iam_policy_versions_pk_seq', 1, false);
SELECT pg_catalog.setval('public.iam_role_attachments_pk_seq', 1, false);
SELECT pg_catalog.setval('public.iam_role_policies_pk_seq', 1, false);
SELECT pg_catalog.setval('public.iam_roles_pk_seq', 1, false);
SELECT pg_catalog.setval('public.iam_user_attachments_pk_seq', 1, false);
SELECT pg_catalog.setval('public.iam_user_policies_pk_seq', 1, false);
SELECT pg_catalog.setval('public.iam_users_pk_seq', 1, false);
SELECT pg_catalog.setval('public.k8s_objects_id_seq', 1, false);
SELECT pg_catalog.setval('public.k8s_watch_log_id_seq', 1, false);
ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.eks_addons
    ADD CONSTRAINT eks_addons_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.eks_agent_heartbeats
    ADD CONSTRAINT eks_agent_heartbeats_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.eks_clusters
    ADD CONSTRAINT eks_clusters_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.eks_issuer_keys
    ADD CONSTRAINT eks_issuer_keys_pkey PRIMARY KEY (cluster_pk);
ALTER TABLE ONLY public.eks_pod_identity_associations
    ADD CONSTRAINT eks_pod_identity_associations_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.iam_access_keys
    ADD CONSTRAINT iam_access_keys_pkey PRIMARY KEY (access_key_id);
ALTER TABLE ONLY public.iam_oidc_providers
    ADD CONSTRAINT iam_oidc_providers_arn_key UNIQUE (arn);
ALTER TABLE ONLY public.iam_oidc_providers
    ADD CONSTRAINT iam_oidc_providers_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.iam_policies
    ADD CONSTRAINT iam_policies_arn_key UNIQUE (arn);
ALTER TABLE ONLY public.iam_policies
    ADD CONSTRAINT iam_policies_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.iam_policies
    ADD CONSTRAINT iam_policies_policy_id_key UNIQUE (policy_id);
ALTER TABLE ONLY public.iam_policy_versions
    ADD CONSTRAINT iam_policy_versions_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.iam_role_attachments
    ADD CONSTRAINT iam_role_attachments_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.iam_role_policies
    ADD CONSTRAINT iam_role_policies_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.iam_roles
    ADD CONSTRAINT iam_roles_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.iam_roles
    ADD CONSTRAINT iam_roles_role_id_key UNIQUE (role_id);
ALTER TABLE ONLY public.iam_user_attachments
    ADD CONSTRAINT iam_user_attachments_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.iam_user_policies
    ADD CONSTRAINT iam_user_policies_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.iam_users
    ADD CONSTRAINT iam_users_pkey PRIMARY KEY (pk);
ALTER TABLE ONLY public.iam_users
    ADD CONSTRAINT iam_users_user_id_key UNIQUE (user_id);
ALTER TABLE ONLY public.k8s_objects
    ADD CONSTRAINT k8s_objects_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.k8s_revisions
    ADD CONSTRAINT k8s_revisions_pkey PRIMARY KEY (cluster);
ALTER TABLE ONLY public.k8s_watch_log
    ADD CONSTRAINT k8s_watch_log_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.podid_alembic_version
    ADD CONSTRAINT podid_alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.podid_kv
    ADD CONSTRAINT podid_kv_pkey PRIMARY KEY (namespace, key);
ALTER TABLE ONLY public.podid_meta
    ADD CONSTRAINT podid_meta_pkey PRIMARY KEY (key);
ALTER TABLE ONLY public.eks_addons
    ADD CONSTRAINT uq_eks_addons_name UNIQUE (cluster_pk, name);
ALTER TABLE ONLY public.eks_clusters
    ADD CONSTRAINT uq_eks_clusters_arn UNIQUE (arn);
ALTER TABLE ONLY public.eks_clusters
    ADD CONSTRAINT uq_eks_clusters_name UNIQUE (account_id, region, name);
ALTER TABLE ONLY public.eks_clusters
    ADD CONSTRAINT uq_eks_clusters_oidc_id UNIQUE (oidc_id);
ALTER TABLE ONLY public.eks_agent_heartbeats
    ADD CONSTRAINT uq_eks_heartbeats_node UNIQUE (cluster_pk, node_name);
ALTER TABLE ONLY public.eks_pod_identity_associations
    ADD CONSTRAINT uq_eks_pia_id UNIQUE (association_id);
ALTER TABLE ONLY public.eks_pod_identity_associations
    ADD CONSTRAINT uq_eks_pia_subject UNIQUE (cluster_pk, namespace, service_account);
ALTER TABLE ONLY public.iam_oidc_providers
    ADD CONSTRAINT uq_iam_oidc_providers_url UNIQUE (account_id, url);
ALTER TABLE ONLY public.iam_policies
    ADD CONSTRAINT uq_iam_policies_name UNIQUE (account_id, name_key);
ALTER TABLE ONLY public.iam_policy_versions
    ADD CONSTRAINT uq_iam_policy_versions UNIQUE (policy_pk, version_id);
ALTER TABLE ONLY public.iam_role_attachments
    ADD CONSTRAINT uq_iam_role_attachments UNIQUE (role_pk, policy_arn);
ALTER TABLE ONLY public.iam_role_policies
    ADD CONSTRAINT uq_iam_role_policies UNIQUE (role_pk, name);
ALTER TABLE ONLY public.iam_roles
    ADD CONSTRAINT uq_iam_roles_name UNIQUE (account_id, name_key);
ALTER TABLE ONLY public.iam_user_attachments
    ADD CONSTRAINT uq_iam_user_attachments UNIQUE (user_pk, policy_arn);
ALTER TABLE ONLY public.iam_user_policies
    ADD CONSTRAINT uq_iam_user_policies UNIQUE (user_pk, name);
ALTER TABLE ONLY public.iam_users
    ADD CONSTRAINT uq_iam_users_name UNIQUE (account_id, name_key);
ALTER TABLE ONLY public.k8s_objects
    ADD CONSTRAINT uq_k8s_objects_key UNIQUE (cluster, api_group, resource, namespace, name);
CREATE INDEX ix_eks_addons_cluster ON public.eks_addons USING btree (cluster_pk);
CREATE INDEX ix_eks_heartbeats_cluster ON public.eks_agent_heartbeats USING btree (cluster_pk);
CREATE INDEX ix_iam_access_keys_user_pk ON public.iam_access_keys USING btree (user_pk);
CREATE INDEX ix_iam_role_attachments_policy_arn ON public.iam_role_attachments USING btree (policy_arn);
CREATE INDEX ix_iam_user_attachments_policy_arn ON public.iam_user_attachments USING btree (policy_arn);
CREATE INDEX ix_k8s_watch_log_cluster_rv ON public.k8s_watch_log USING btree (cluster, resource_version);
ALTER TABLE ONLY public.eks_addons
    ADD CONSTRAINT fk_eks_addons_cluster FOREIGN KEY (cluster_pk) REFERENCES public.eks_clusters(pk);
ALTER TABLE ONLY public.eks_agent_heartbeats
    ADD CONSTRAINT fk_eks_heartbeats_cluster FOREIGN KEY (cluster_pk) REFERENCES public.eks_clusters(pk);
ALTER TABLE ONLY public.eks_issuer_keys
    ADD CONSTRAINT fk_eks_issuer_keys_cluster FOREIGN KEY (cluster_pk) REFERENCES public.eks_clusters(pk);
ALTER TABLE ONLY public.eks_pod_identity_associations
    ADD CONSTRAINT fk_eks_pia_cluster FOREIGN KEY (cluster_pk) REFERENCES public.eks_clusters(pk);
ALTER TABLE ONLY public.iam_access_keys
    ADD CONSTRAINT iam_access_keys_user_pk_fkey FOREIGN KEY (user_pk) REFERENCES public.iam_users(pk);
ALTER TABLE ONLY public.iam_oidc_providers
    ADD CONSTRAINT iam_oidc_providers_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);
ALTER TABLE ONLY public.iam_policies
    ADD CONSTRAINT iam_policies_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);
ALTER TABLE ONLY public.iam_policy_versions
    ADD CONSTRAINT iam_policy_versions_policy_pk_fkey FOREIGN KEY (policy_pk) REFERENCES public.iam_policies(pk) ON DELETE CASCADE;
ALTER TABLE ONLY public.iam_role_attachments
    ADD CONSTRAINT iam_role_attachments_policy_pk_fkey FOREIGN KEY (policy_pk) REFERENCES public.iam_policies(pk);
ALTER TABLE ONLY public.iam_role_attachments
    ADD CONSTRAINT iam_role_attachments_role_pk_fkey FOREIGN KEY (role_pk) REFERENCES public.iam_roles(pk);
ALTER TABLE ONLY public.iam_role_policies
    ADD CONSTRAINT iam_role_policies_role_pk_fkey FOREIGN KEY (role_pk) REFERENCES public.iam_roles(pk);
ALTER TABLE ONLY public.iam_roles
    ADD CONSTRAINT iam_roles_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);
ALTER TABLE ONLY public.iam_user_attachments
    ADD CONSTRAINT iam_user_attachments_policy_pk_fkey FOREIGN KEY (policy_pk) REFERENCES public.iam_policies(pk);
ALTER TABLE ONLY public.iam_user_attachments
    ADD CONSTRAINT iam_user_attachments_user_pk_fkey FOREIGN KEY (user_pk) REFERENCES public.iam_users(pk);
ALTER TABLE ONLY public.iam_user_policies
    ADD CONSTRAINT iam_user_policies_user_pk_fkey FOREIGN KEY (user_pk) REFERENCES public.iam_users(pk);
ALTER TABLE ONLY public.iam_users
    ADD CONSTRAINT iam_users_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);
