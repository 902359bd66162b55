//! Create Bucket: a new bucket in a region.

use connector_core::Effects;
use connector_core::framework::types::{NewBucketName, Region};
use connector_core::ops::buckets;
use connector_core::{Context, Module, ModuleKind, Result, async_trait, register_module};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The bucket to create.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBucketInput {
    /// The name of the new bucket, unique across all AWS accounts: 3 to 63 characters,
    /// lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
    #[schemars(title = "Name")]
    pub bucket: NewBucketName,

    /// The region to create the bucket in, e.g. `eu-west-1`. Empty: the connection's region.
    #[serde(default)]
    #[schemars(title = "Region", extend("x-options" = {"provider": "regions"}))]
    pub region: Option<Region>,
}

/// The bucket that was created.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreateBucketOutput {
    /// The bucket's name.
    pub bucket: String,
    /// The region it was created in.
    pub region: String,
    /// Where S3 says the bucket is (the `Location` header), e.g. `/my-bucket`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Creates a bucket.
pub struct CreateBucket;

#[async_trait]
impl Module for CreateBucket {
    type Input = CreateBucketInput;
    type Output = CreateBucketOutput;
    const NAME: &'static str = "create_bucket";
    const LABEL: &'static str = "Create Bucket";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Creates a new bucket in the chosen region.";
    const EFFECTS: Effects = Effects::CREATES;

    async fn run(&self, ctx: &Context, input: CreateBucketInput) -> Result<CreateBucketOutput> {
        let client = ctx.client();
        let region = input
            .region
            .map(String::from)
            .unwrap_or_else(|| client.region().to_owned());
        let location = buckets::create_bucket(client, &input.bucket, &region).await?;
        Ok(CreateBucketOutput {
            location,
            bucket: input.bucket.into(),
            region,
        })
    }
}

register_module!(CreateBucket);
