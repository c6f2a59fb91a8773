/** Set (to its config file) only in the environment helm gives kubeline's post-renderer. */
export const POST_RENDER_ENV = 'KUBELINE_HELM_POST_RENDER';
